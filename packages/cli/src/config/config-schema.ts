import { COMMENT_TRUST_INTAKES, commentTrustedAuthorsSchemas } from '@software-factory/providers';
import {
  durationSchema,
  factorySettingsSchema,
  isIpOrCidr,
  MIN_ADMIN_TOKEN_LENGTH,
  TENANT_ID_PATTERN,
} from '@software-factory/sdk';
import { z } from 'zod';
import { type CredentialsConfig, checkCredentials, credentialsSchema } from './credentials-schema.ts';
import { providerSchemas } from './provider-schemas.ts';
import { SecretResolver, secretReference } from './secret-reference.ts';

/** The same rule the HTTP app applies to the `:tenant` segment of a webhook URL. */
const tenantId = z
  .string()
  .regex(TENANT_ID_PATTERN, {
    error:
      'expected a tenant id of letters, digits, "-" and "_" (at most 64, starting with a letter or digit)',
  })
  .describe('The tenant id, as it appears in webhook URLs: /t/<id>/webhooks/<source>.');

const TENANT_ROLES = ['intentProvider', 'clarificationChannel', 'outputTarget'] as const;

export { DEFAULT_CREDENTIALS_PATH } from './credentials-schema.ts';

/**
 * The schema of `factory.config.yaml`, built over a resolver so secret references resolve while parsing
 * (and a missing variable is reported at the field that names it).
 */
export function configSchema(secrets: SecretResolver) {
  const providers = providerSchemas(secrets);
  /** A token that opens admin views: a secret reference to at least 32 characters. */
  const adminSecret = (example: string) =>
    secretReference(secrets, example).refine((value) => value.length >= MIN_ADMIN_TOKEN_LENGTH, {
      error: `is too short: an admin token needs at least ${MIN_ADMIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
    });

  const deployment = {
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8787),
        publicUrl: z
          .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://factory.example.com' })
          .optional()
          .describe('Where clients reach the app; https makes the dashboard session cookie Secure.'),
        trustedProxies: z
          .array(
            z.string().refine(isIpOrCidr, {
              error: 'expected an IP address or a CIDR range such as 10.0.0.0/8',
            }),
          )
          .optional()
          .describe(
            'Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (IPs or CIDR ranges).',
          ),
        operatorToken: adminSecret('FACTORY_OPERATOR_TOKEN')
          .optional()
          .describe('Opens the detail of every tenant at GET /healthz (Authorization: Bearer).'),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8787 })
      .describe('Where `factory start` listens.'),
    tick: z
      .object({ interval: durationSchema.default(60_000) })
      .strict()
      .default({ interval: 60_000 })
      .describe('How often the safety-net tick runs for every tenant.'),
    stateStore: z
      .discriminatedUnion('type', [
        z
          .object({
            type: z.literal('sqlite'),
            path: z.string().min(1).default('.factory/state.sqlite').describe('Relative to this file.'),
          })
          .strict(),
        z.object({ type: z.literal('memory') }).strict(),
      ])
      .default({ type: 'sqlite', path: '.factory/state.sqlite' })
      .describe('Where the state of every tenant lives; one store serves them all, keyed by tenant.'),
    credentials: credentialsSchema(secrets),
  };

  const tenantFields = factorySettingsSchema.extend({
    intentProvider: providers.intentProvider.describe('Where work items come from.'),
    clarificationChannel: providers.clarificationChannel.describe('Where vague work items are asked about.'),
    outputTarget: providers.outputTarget.describe('Where agents deliver pull requests.'),
    fleet: providers.fleet.describe('Where agents run.'),
    mount: providers.mount
      .optional()
      .describe('The files every provider with `transport: relayfile` reads and writes.'),
    triage: providers.triage,
    adminToken: adminSecret('FACTORY_ADMIN_TOKEN')
      .optional()
      .describe(
        'Opens the read-only dashboard at /t/<tenant>/ (and status.json, metrics, healthz); off without it. At least 32 characters.',
      ),
    template: z
      .object({
        text: z.string().min(1).optional().describe('The agent task with {{placeholders}}.'),
        file: z.string().min(1).optional().describe('A file holding the task text; relative to this file.'),
        branchPrefix: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
  });

  const singleTenant = tenantFields
    .extend({ tenant: tenantId.default('default'), ...deployment })
    .superRefine(checkTenant)
    .superRefine((config, context) =>
      checkCredentials(config.credentials, [{ at: [], tenant: config }], context),
    )
    .describe('One tenant: its settings at the top level.');

  const multiTenant = z
    .object({
      ...deployment,
      tenants: z
        .array(tenantFields.extend({ id: tenantId }).superRefine(checkTenant))
        .min(1)
        .superRefine((tenants, context) => {
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
    })
    .strict()
    .superRefine((config, context) =>
      checkCredentials(
        config.credentials,
        config.tenants.map((tenant, index) => ({ at: ['tenants', index], tenant })),
        context,
      ),
    )
    .describe('Many tenants, listed under `tenants`.');

  return { singleTenant, multiTenant };
}

export type SingleTenantConfig = z.output<ReturnType<typeof configSchema>['singleTenant']>;
export type MultiTenantConfig = z.output<ReturnType<typeof configSchema>['multiTenant']>;
export type TenantConfig = MultiTenantConfig['tenants'][number];
export type DeploymentConfig = Pick<MultiTenantConfig, 'server' | 'tick' | 'stateStore'> & {
  credentials: CredentialsConfig;
};

/** A loaded config, one shape for one tenant or many; paths are absolute. */
export interface FactoryConfig extends DeploymentConfig {
  /** The file it came from, or a name such as `<built-in default>`. */
  source: string;
  /** The config file's folder; relative paths were resolved against it. */
  baseDir: string;
  /** Every secret value the config resolved, for redaction in logs. Never print this. */
  secrets: ReadonlySet<string>;
  tenants: TenantConfig[];
}

/** What the cross-field rules read of a tenant. */
interface TenantFields {
  intentProvider: { type: string; transport: string };
  clarificationChannel: { type: string; transport: string; trustedAuthors?: unknown };
  outputTarget: { transport: string };
  mount?: unknown;
  template: { text?: string; file?: string };
}

/** Rules across fields of one tenant, reported at the field a person must change. */
function checkTenant(tenant: TenantFields, context: z.RefinementCtx): void {
  for (const role of TENANT_ROLES) {
    if (tenant[role].transport === 'relayfile' && !tenant.mount) {
      context.addIssue({
        code: 'custom',
        path: [role, 'transport'],
        message: 'transport "relayfile" reads and writes through a mount: add a `mount:` section',
      });
    }
  }
  if (tenant.clarificationChannel.type === 'comments' && tenant.intentProvider.transport !== 'direct') {
    context.addIssue({
      code: 'custom',
      path: ['clarificationChannel', 'type'],
      message:
        'the comments channel asks on the work item and hears replies through the intake’s webhooks: it needs an intentProvider with transport "direct"',
    });
  }
  checkCommentAuthors(tenant, context);
  if (tenant.template.text !== undefined && tenant.template.file !== undefined) {
    context.addIssue({
      code: 'custom',
      path: ['template', 'file'],
      message: 'give the task as `text` or as `file`, not both',
    });
  }
}

/**
 * The comments channel hears answers through the intake, so its `trustedAuthors` names the intake's
 * roles (GitHub's author_association, Jira's and Linear's item roles) and the intake's user ids.
 */
function checkCommentAuthors(tenant: TenantFields, context: z.RefinementCtx): void {
  const chat = tenant.clarificationChannel;
  if (chat.type !== 'comments' || chat.trustedAuthors === undefined) return;
  const intake = tenant.intentProvider.type;
  if (!(COMMENT_TRUST_INTAKES as readonly string[]).includes(intake)) return;
  const schema = commentTrustedAuthorsSchemas[intake as (typeof COMMENT_TRUST_INTAKES)[number]];
  const parsed = schema.safeParse(chat.trustedAuthors);
  if (parsed.success) return;
  for (const issue of parsed.error.issues)
    context.addIssue({
      code: 'custom',
      path: ['clarificationChannel', 'trustedAuthors', ...issue.path.map((key) => key as string | number)],
      message: `${issue.message} (the comments channel of a ${intake} intake)`,
    });
}

/** The JSON Schema of the config file, for editors (`# yaml-language-server: $schema=…`). */
export function configJsonSchema(): Record<string, unknown> {
  const { singleTenant, multiTenant } = configSchema(new SecretResolver({}));
  return z.toJSONSchema(z.union([singleTenant, multiTenant]), {
    io: 'input',
    unrepresentable: 'any',
    reused: 'ref',
    target: 'draft-2020-12',
  }) as Record<string, unknown>;
}
