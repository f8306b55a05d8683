// biome-ignore-all lint/suspicious/noTemplateCurlyInString: descriptions show ${…} references as they are written.
import {
  adminSecret,
  checkTenant,
  expandFieldDocs,
  type ProviderRegistry,
  type TenantConfig as ProvidersTenantConfig,
  providerRegistry,
  secretReference,
  shorthandJsonSchema,
  tenantConfigSchema,
  tenantIdSchema,
} from '@software-factory/providers/registry';
import { durationSchema, isIpOrCidr } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { type CredentialsConfig, checkCredentials, credentialsSchema } from './credentials-schema.ts';
import { observabilitySchema } from './observability-schema.ts';
import type { ProviderModule } from './provider-modules.ts';
import { SecretResolver } from './secret-reference.ts';
import { stateStoreSchema } from './state-store-schema.ts';

export { DEFAULT_CREDENTIALS_PATH } from './credentials-schema.ts';

/**
 * The schema of `factory.config.yaml`, built over a resolver so secret references resolve while parsing
 * (and a missing variable is reported at the field that names it). A tenant is the shared tenant schema
 * of `@software-factory/providers/registry` (its roles from the provider registry); the file adds where
 * `factory start` listens, its tick, its store and its credentials.
 */
export function configSchema(secrets: SecretResolver, registry: ProviderRegistry = providerRegistry) {
  const deployment = {
    providers: z
      .optional(z.array(z.string().check(z.minLength(1))))
      .check(
        z.describe(
          'Modules that add providers: each a path relative to this file (./…) or a package name, exporting `providers` (a list of provider entries), registered before the rest of the file is read. Or a built-in provider by its type (jira), for a deployment: `factory deploy` bundles the providers its tenants use, the modules and the built-in providers listed here, so tenants added through the admin API may use these too.',
        ),
      ),
    server: z
      ._default(
        z.strictObject({
          host: z._default(z.string().check(z.minLength(1)), '127.0.0.1'),
          port: z._default(z.int().check(z.minimum(0), z.maximum(65_535)), 8787),
          publicUrl: z
            .optional(
              z.url({
                protocol: /^https?$/,
                error: 'expected an http(s) URL such as https://factory.example.com',
              }),
            )
            .check(
              z.describe(
                'Where clients reach the app; https makes the dashboard session cookie Secure, and `factory subscribe` registers <publicUrl>/t/<tenant>/webhooks/relayfile.',
              ),
            ),
          trustedProxies: z
            .optional(
              z.array(
                z.string().check(
                  z.refine(isIpOrCidr, {
                    error: 'expected an IP address or a CIDR range such as 10.0.0.0/8',
                  }),
                ),
              ),
            )
            .check(
              z.describe(
                'Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (IPs or CIDR ranges).',
              ),
            ),
          operatorToken: z
            .optional(adminSecret(secrets, 'FACTORY_OPERATOR_TOKEN'))
            .check(
              z.describe(
                "Opens the detail of every tenant at GET /healthz, every tenant's metrics at GET /metrics and the admin API at /admin/tenants (Authorization: Bearer).",
              ),
            ),
          oauthApps: z
            .optional(oauthAppsSchema(secrets, registry))
            .check(
              z.describe(
                'The OAuth apps sign-ins on the deployment use (`factory connect --remote`), by provider: `linear: { clientId: …, clientSecret: ${LINEAR_CLIENT_SECRET} }`. Default: <VENDOR>_CLIENT_ID and <VENDOR>_CLIENT_SECRET in its environment.',
              ),
            ),
          credentialsKey: z
            .optional(secretReference(secrets, 'FACTORY_CREDENTIALS_KEY'))
            .check(
              z.describe(
                'The key tokens from sign-ins on the deployment are stored with (AES-256-GCM): 32 random bytes as hex or base64 (`openssl rand -base64 32`). `factory start` uses the credentials key (FACTORY_CREDENTIALS_KEY[_FILE]) when it is left out.',
              ),
            ),
        }),
        { host: '127.0.0.1', port: 8787 },
      )
      .check(z.describe('Where `factory start` listens.')),
    tick: z
      ._default(z.strictObject({ interval: z._default(durationSchema, 60_000) }), { interval: 60_000 })
      .check(z.describe('How often the safety-net tick runs for every tenant.')),
    stateStore: stateStoreSchema(secrets),
    credentials: credentialsSchema(secrets),
    observability: observabilitySchema(secrets),
  };

  const tenantFields = tenantConfigSchema(secrets, { registry });
  const tenantRules = (tenant: unknown, context: z.core.$RefinementCtx) =>
    checkTenant(tenant as ProvidersTenantConfig, context, registry);

  const singleTenant = z
    .extend(tenantFields, { tenant: z._default(tenantIdSchema, 'default'), ...deployment })
    .check(
      z.superRefine(tenantRules),
      z.superRefine((config, context) =>
        checkCredentials(
          config.credentials,
          [{ at: [], tenant: config as unknown as ProvidersTenantConfig }],
          context,
          registry,
        ),
      ),
      z.describe('One tenant: its settings at the top level.'),
    );

  const multiTenant = z
    .strictObject({
      ...deployment,
      tenants: z
        .array(z.extend(tenantFields, { id: tenantIdSchema }).check(z.superRefine(tenantRules)))
        .check(
          z.superRefine((tenants, context) => {
            const seen = new Set<string>();
            tenants.forEach((tenant, index) => {
              if (seen.has(tenant.id))
                context.addIssue({
                  code: 'custom',
                  path: [index, 'id'],
                  message: `tenant id "${tenant.id}" is used twice`,
                });
              seen.add(tenant.id);
            });
          }),
        ),
    })
    .check(
      z.superRefine((config, context) => {
        // No tenant in the file is a factory whose tenants are added through the admin API.
        if (config.tenants.length === 0 && !config.server.operatorToken)
          context.addIssue({
            code: 'custom',
            path: ['tenants'],
            message:
              'expected a non-empty list of tenants (or set server.operatorToken and add them through the admin API: `factory tenants add --remote`)',
          });
      }),
      z.superRefine((config, context) =>
        checkCredentials(
          config.credentials,
          config.tenants.map((tenant, index) => ({
            at: ['tenants', index],
            tenant: tenant as unknown as ProvidersTenantConfig & { id: string },
          })),
          context,
          registry,
        ),
      ),
      z.describe('Many tenants, listed under `tenants`.'),
    );

  return { singleTenant, multiTenant };
}

/** `server.oauthApps`: one OAuth app per provider that signs in with one. */
function oauthAppsSchema(secrets: SecretResolver, registry: ProviderRegistry) {
  const signIns = registry.entries().filter((entry) => entry.oauth);
  return z
    .record(
      z.string().check(
        z.refine((type) => signIns.some((entry) => entry.type === type), {
          error: `expected a provider that signs in with OAuth: ${signIns.map((entry) => entry.type).join(', ')}`,
        }),
      ),
      z.strictObject({
        clientId: z.string().check(z.minLength(1), z.describe('The OAuth app’s client id.')),
        clientSecret: z.optional(secretReference(secrets, 'LINEAR_CLIENT_SECRET')),
      }),
    )
    .check(
      z.superRefine((apps, context) => {
        for (const [type, app] of Object.entries(apps))
          if (registry.get(type)?.oauth?.clientSecretRequired && app.clientSecret === undefined)
            context.addIssue({
              code: 'custom',
              path: [type, 'clientSecret'],
              message: `${type} redeems a sign-in only with the app's client secret: add clientSecret: \${${registry.get(type)?.oauth?.envPrefix}_CLIENT_SECRET}`,
            });
      }),
    );
}

type MultiTenantOutput = z.output<ReturnType<typeof configSchema>['multiTenant']>;

/** One tenant of a loaded config: the shared tenant config and its id. */
export type TenantConfig = ProvidersTenantConfig & { id: string };
export type DeploymentConfig = Pick<MultiTenantOutput, 'server' | 'tick' | 'stateStore' | 'observability'> & {
  credentials: CredentialsConfig;
};

/** A loaded config, one shape for one tenant or many; paths are absolute. */
export interface FactoryConfig extends DeploymentConfig {
  /** The file it came from, or a name such as `<built-in default>`. */
  source: string;
  /** The config file's folder; relative paths were resolved against it. */
  baseDir: string;
  /** The modules its `providers:` names, registered while it was read. */
  providerModules: ProviderModule[];
  /** The built-in providers its `providers:` names, which `factory deploy` bundles (see `ConfigProviders`). */
  builtinProviders: string[];
  /** Every secret value the config resolved, for redaction in logs. Never print this. */
  secrets: ReadonlySet<string>;
  tenants: TenantConfig[];
}

/** The JSON Schema of the config file, for editors (`# yaml-language-server: $schema=…`). */
export function configJsonSchema(registry: ProviderRegistry = providerRegistry): Record<string, unknown> {
  const { singleTenant, multiTenant } = configSchema(new SecretResolver({}), registry);
  const schema = z.toJSONSchema(z.union([singleTenant, multiTenant]), {
    io: 'input',
    unrepresentable: 'any',
    reused: 'ref',
    target: 'draft-2020-12',
    // A role takes a provider's bare name as well as its mapping.
    override: shorthandJsonSchema,
  }) as Record<string, unknown>;
  withFieldDocs(schema);
  return schema;
}

/** Every description that names a field's text by key (`#fleet.command`, see field-docs.ts) given its text. */
function withFieldDocs(node: unknown): void {
  if (Array.isArray(node)) for (const item of node) withFieldDocs(item);
  else if (typeof node === 'object' && node !== null) {
    const fields = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(fields))
      if (key === 'description' && typeof value === 'string') fields[key] = expandFieldDocs(value);
      else withFieldDocs(value);
  }
}
