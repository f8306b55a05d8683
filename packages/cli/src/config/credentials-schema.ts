// biome-ignore-all lint/suspicious/noTemplateCurlyInString: messages show ${ENV_VAR} references as they are written.
import path from 'node:path';
import { WORKSPACE_INTEGRATION_PROVIDERS, type WorkspaceIntegrationProvider } from '@relayfile/sdk';
import {
  type ProviderConfig,
  type ProviderRegistry,
  providerRegistry,
  ROLES,
} from '@software-factory/providers/registry';
import * as z from 'zod/mini';
import { type SecretResolver, secretReference } from './secret-reference.ts';

export const DEFAULT_CREDENTIALS_PATH = '.factory/credentials.enc';

/** The providers a `transport: relayfile` serves: the ones relayfile's connect sessions can connect. */
const RELAYFILE_PROVIDERS = ['linear', 'slack', 'github'] as const;
export type RelayfileProvider = (typeof RELAYFILE_PROVIDERS)[number];

const integration = z.optional(z.enum(WORKSPACE_INTEGRATION_PROVIDERS));

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Plain HTTP only on this machine: the cloud access token would otherwise cross the network in clear. */
const cloudApiUrl = z
  .optional(
    z.url({ protocol: /^https?$/ }).check(
      z.refine((value) => {
        const url = new URL(value);
        return url.protocol === 'https:' || LOOPBACK_HOSTS.has(url.hostname);
      }, 'the relayfile access token is sent to this URL: use https (plain http only on 127.0.0.1 or localhost)'),
    ),
  )
  .check(
    z.describe('relayfile’s cloud API; the SDK’s default (https://agentrelay.com/cloud) when left out.'),
  );

/** The `credentials` field: where tokens for providers without a token field come from. */
export function credentialsSchema(secrets: SecretResolver) {
  return z
    .prefault(
      z.discriminatedUnion('type', [
        z
          .strictObject({
            type: z.literal('file'),
            path: z
              ._default(z.string().check(z.minLength(1)), DEFAULT_CREDENTIALS_PATH)
              .check(z.describe('The encrypted credentials file; relative to this file.')),
          })
          .check(
            z.describe(
              'Tokens written by `factory connect`, encrypted with the key from FACTORY_CREDENTIALS_KEY (a passphrase) or FACTORY_CREDENTIALS_KEY_FILE.',
            ),
          ),
        z
          .strictObject({
            type: z.literal('relayfile'),
            cloudApiUrl,
            accessToken: secretReference(secrets, 'RELAYFILE_ACCESS_TOKEN').check(
              z.describe('The relayfile cloud access token the factory joins workspaces with.'),
            ),
            integrations: z
              .optional(
                z.strictObject(
                  Object.fromEntries(RELAYFILE_PROVIDERS.map((name) => [name, integration])) as Record<
                    RelayfileProvider,
                    typeof integration
                  >,
                ),
              )
              .check(
                z.describe(
                  'Provider → relayfile integration. Slack must be named (relayfile has several Slack apps: slack-sage, slack-my-senior-dev, slack-nightcto); linear and github map to themselves.',
                ),
              ),
            workspace: z
              .optional(z.string().check(z.minLength(1)))
              .check(
                z.describe(
                  'The relayfile workspace of tenants without a relayfile mount; a tenant with one uses its mount’s workspace.',
                ),
              ),
          })
          .check(
            z.describe(
              'relayfile holds the vendor connections (`factory connect` runs relayfile’s connect session); the factory holds only a relayfile access token.',
            ),
          ),
      ]),
      // A prefault (parsed like written input) rather than a default: the relayfile member transforms
      // its secret, and zod leaves a default out of an input JSON Schema when the union transforms.
      { type: 'file' },
    )
    .check(z.describe('Where the connections made by `factory connect` live.'));
}

type ParsedCredentials = z.output<ReturnType<typeof credentialsSchema>>;

/** The loaded `credentials` field: a file path made absolute, or relayfile with each tenant's workspace. */
export type CredentialsConfig =
  | { type: 'file'; path: string }
  | {
      type: 'relayfile';
      cloudApiUrl?: string | undefined;
      /** The relayfile cloud access token. Never print it. */
      accessToken: string;
      integrations?: Partial<Record<RelayfileProvider, WorkspaceIntegrationProvider>> | undefined;
      workspace?: string | undefined;
      /** Tenant id → its relayfile workspace (the mount's, else `workspace`). */
      workspaces: Readonly<Record<string, string>>;
    };

/** What the credentials rules read of a tenant. */
interface TenantFields {
  id?: string;
  tenant?: string;
  intentProvider: ProviderConfig;
  clarificationChannel: ProviderConfig;
  outputTarget: ProviderConfig;
  fleet?: { type: string; token?: string | undefined; app?: { appId?: unknown } | undefined } | undefined;
  mount?: { type: string; workspace?: string } | undefined;
}

/** The relayfile workspace a tenant's connections live in, if the config names one. */
function workspaceOf(tenant: TenantFields, credentials: ParsedCredentials): string | undefined {
  if (credentials.type !== 'relayfile') return undefined;
  return tenant.mount?.type === 'relayfile' ? tenant.mount.workspace : credentials.workspace;
}

/**
 * Rules across `credentials` and the tenants, reported at the field a person must change: with relayfile
 * every tenant needs a workspace, and no direct provider may count on a stored token, because relayfile
 * hands out only its own workspace token, which no vendor API accepts.
 */
export function checkCredentials(
  credentials: ParsedCredentials,
  tenants: readonly { at: readonly PropertyKey[]; tenant: TenantFields }[],
  context: z.core.$RefinementCtx,
  registry: ProviderRegistry = providerRegistry,
): void {
  if (credentials.type !== 'relayfile') return;
  for (const { at, tenant } of tenants) {
    const name = tenant.id ?? tenant.tenant ?? 'default';
    if (!workspaceOf(tenant, credentials))
      context.addIssue({
        code: 'custom',
        path: ['credentials', 'workspace'],
        message: `tenant ${name} has no relayfile mount to take its relayfile workspace from: add \`workspace: <id>\` here, or give the tenant a \`mount: { type: relayfile, workspace: … }\``,
      });
    for (const role of ROLES) {
      const provider = tenant[role];
      // The fields that hold the provider's own token (`apiKey` for Linear, `botToken` for Slack…).
      const tokens = (registry.get(provider.type)?.secrets ?? []).filter((field) => field.kind === 'token');
      if (provider.transport !== 'direct' || tokens.length === 0) continue;
      if (tokens.some((field) => typeof provider[field.field] === 'string')) continue;
      context.addIssue({
        code: 'custom',
        path: [...at, role, 'transport'],
        message: `a direct provider without its own token reads one from the credentials store, and relayfile's store holds no ${provider.type} token: give ${tokens.map((field) => field.field).join(' or ')} a \${ENV_VAR} reference (or set ${tokens.map((field) => field.env).join(' or ')}), or use transport "relayfile"`,
      });
    }
    if (
      tenant.fleet?.type === 'github-actions' &&
      !tenant.fleet.token &&
      tenant.fleet.app?.appId === undefined
    )
      context.addIssue({
        code: 'custom',
        path: [...at, 'fleet', 'type'],
        message:
          "the github-actions fleet without `token` reads one from the credentials store, and relayfile's store holds no GitHub token: set `token: ${GITHUB_ACTIONS_TOKEN}` (or `app: { appId, privateKey: ${GITHUB_APP_PRIVATE_KEY} }`)",
      });
  }
}

/** The field as the runtime uses it: the file path absolute against the config's folder, workspaces resolved. */
export function loadedCredentials(
  credentials: ParsedCredentials,
  baseDir: string,
  tenants: readonly (TenantFields & { id: string })[],
): CredentialsConfig {
  if (credentials.type === 'file') return { type: 'file', path: path.resolve(baseDir, credentials.path) };
  const workspaces: Record<string, string> = {};
  for (const tenant of tenants) {
    const workspace = workspaceOf(tenant, credentials);
    // checkCredentials already refused a tenant without one; this keeps the types honest.
    if (!workspace) throw new Error(`tenant ${tenant.id} has no relayfile workspace`);
    workspaces[tenant.id] = workspace;
  }
  return { ...credentials, workspaces };
}
