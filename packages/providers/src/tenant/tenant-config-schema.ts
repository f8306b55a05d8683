import { factorySettingsSchema, MIN_ADMIN_TOKEN_LENGTH, TENANT_ID_PATTERN } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { providerRegistry } from '../registry/builtin-providers.ts';
import { addOnMissing } from '../registry/provider-add-on.ts';
import { type ProviderConfig, ROLES, type Role, schemaKit } from '../registry/provider-entry.ts';
import type { ProviderRegistry } from '../registry/provider-registry.ts';
import { roleSchema, unionMessage } from '../registry/role-schema.ts';
import { type Environment, SecretResolver, secretReference } from '../registry/secrets.ts';
import { type FleetConfig, fleetSchema } from './fleet-schema.ts';
import { triageSchema } from './triage-schema.ts';

/** The same rule the HTTP app applies to the `:tenant` segment of a webhook URL. */
export const tenantIdSchema = z.string().check(
  z.regex(TENANT_ID_PATTERN, {
    error:
      'expected a tenant id of letters, digits, "-" and "_" (at most 64, starting with a letter or digit)',
  }),
  z.describe('#tenant.id'),
);

/** The files every provider with `transport: relayfile` reads and writes. */
export function mountSchema(secrets: SecretResolver) {
  const text = z.string().check(z.minLength(1));
  return z.discriminatedUnion(
    'type',
    [
      z.strictObject({
        type: z.literal('directory'),
        path: text.check(z.describe('#tenant.path')),
      }),
      z.strictObject({
        type: z.literal('relayfile'),
        workspace: text,
        baseUrl: z.url({ protocol: /^https?$/ }),
        token: secretReference(secrets, 'RELAYFILE_TOKEN'),
        webhookSecret: secretReference(secrets, 'RELAYFILE_WEBHOOK_SECRET'),
      }),
    ],
    { error: (issue) => unionMessage(issue, 'type', ['directory', 'relayfile']) },
  );
}
export type MountConfig = z.output<ReturnType<typeof mountSchema>>;

export interface TenantSchemaOptions {
  /** The providers the roles may name; the shared `providerRegistry` by default. */
  registry?: ProviderRegistry;
}

/**
 * The schema of one tenant: which provider plays each role (by bare name or mapping, among `registry`'s),
 * the fleet, the mount, triage, the dashboard token, the task template and the core's settings. The
 * same schema describes a tenant in `factory.config.yaml`, in a deploy artifact and in an admin API;
 * secret references resolve through `secrets` while it parses. `fleet` may be left out: only the
 * commands that run work need it (see `tenantRequirements`).
 */
export function tenantConfigSchema(secrets: SecretResolver, { registry }: { registry: ProviderRegistry }) {
  const kit = schemaKit(secrets);
  return z.extend(factorySettingsSchema, {
    intentProvider: roleSchema('intentProvider', registry, kit).check(z.describe('#tenant.intentProvider')),
    clarificationChannel: roleSchema('clarificationChannel', registry, kit).check(
      z.describe('#tenant.clarificationChannel'),
    ),
    outputTarget: roleSchema('outputTarget', registry, kit).check(z.describe('#tenant.outputTarget')),
    fleet: z.optional(fleetSchema(secrets)),
    mount: z.optional(mountSchema(secrets)).check(z.describe('#tenant.mount')),
    triage: triageSchema(secrets),
    adminToken: z
      .optional(adminSecret(secrets, 'FACTORY_ADMIN_TOKEN'))
      .check(z.describe('#tenant.adminToken')),
    template: z._default(
      z.strictObject({
        text: z.optional(z.string().check(z.minLength(1))).check(z.describe('#task.text')),
        file: z.optional(z.string().check(z.minLength(1))).check(z.describe('#task.file')),
        branchPrefix: z.optional(z.string().check(z.minLength(1))),
      }),
      {},
    ),
  });
}

/** A tenant's config once parsed: secrets resolved, defaults filled. */
export type TenantConfig = Omit<z.output<ReturnType<typeof tenantConfigSchema>>, Role | 'fleet' | 'mount'> & {
  [R in Role]: ProviderConfig;
} & { fleet?: FleetConfig | undefined; mount?: MountConfig | undefined };

/** A token that opens admin views: a secret reference to at least 32 characters. */
export function adminSecret(secrets: SecretResolver, example: string) {
  return secretReference(secrets, example).check(
    z.refine((value) => value.length >= MIN_ADMIN_TOKEN_LENGTH, {
      error: `is too short: an admin token needs at least ${MIN_ADMIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
    }),
  );
}

/** What the cross-field rules read of a tenant. */
interface TenantFields {
  intentProvider: ProviderConfig;
  clarificationChannel: ProviderConfig;
  outputTarget: ProviderConfig;
  mount?: unknown;
  template: { text?: string | undefined; file?: string | undefined };
}

/**
 * Rules across the fields of one tenant, reported at the field a person must change: a relayfile
 * transport needs a mount; a channel that hears answers through the intake's comments needs an intake
 * whose webhooks carry them, and its `trustedAuthors` in that intake's terms; the task given once.
 */
export function checkTenant(
  tenant: TenantFields,
  context: z.core.$RefinementCtx,
  registry: ProviderRegistry,
): void {
  for (const role of ROLES) {
    if (tenant[role].transport === 'relayfile' && !tenant.mount)
      context.addIssue({
        code: 'custom',
        path: [role, 'transport'],
        message: 'transport "relayfile" reads and writes through a mount: add a `mount:` section',
      });
  }
  for (const role of ROLES) {
    const problem = registry.get(tenant[role].type)?.pairing?.(tenant);
    if (problem) context.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  }
  for (const role of ROLES)
    for (const need of registry.get(tenant[role].type)?.addOns?.(tenant[role]) ?? [])
      if (registry.addOn(need.addOn) === undefined)
        context.addIssue({ code: 'custom', path: [role, ...need.path], message: addOnMissing(need) });
  const channel = registry.get(tenant.clarificationChannel.type);
  if (channel?.commentReplies && !channel.pairing) {
    const intake = registry.get(tenant.intentProvider.type);
    if (tenant.intentProvider.transport !== 'direct' || !intake?.commentAuthors)
      context.addIssue({
        code: 'custom',
        path: ['clarificationChannel', 'type'],
        message: `the ${channel.type} channel asks on the work item and hears replies through the intake’s webhooks: it needs an intentProvider with transport "direct" whose comments can answer (${registry
          .forRole('intentProvider')
          .filter((entry) => entry.commentAuthors)
          .map((entry) => entry.type)
          .join(', ')})`,
      });
    else checkCommentAuthors(tenant, intake.type, intake.commentAuthors, context);
  }
  if (tenant.template.text !== undefined && tenant.template.file !== undefined)
    context.addIssue({
      code: 'custom',
      path: ['template', 'file'],
      message: 'give the task as `text` or as `file`, not both',
    });
}

/**
 * A channel answered through the intake's comments names the intake's roles (GitHub's author_association,
 * Jira's and Linear's item roles) and the intake's user ids in `trustedAuthors`.
 */
function checkCommentAuthors(
  tenant: TenantFields,
  intake: string,
  schema: z.core.$ZodType,
  context: z.core.$RefinementCtx,
): void {
  const trusted = tenant.clarificationChannel.trustedAuthors;
  if (trusted === undefined) return;
  const parsed = z.safeParse(schema, trusted);
  if (parsed.success) return;
  for (const issue of parsed.error.issues)
    context.addIssue({
      code: 'custom',
      path: ['clarificationChannel', 'trustedAuthors', ...issue.path.map((key) => key as string | number)],
      message: `${issue.message} (the comments channel of a ${intake} intake)`,
    });
}

/** Why a config does not parse: every problem, with its path. */
export class TenantConfigError extends Error {
  readonly issues: readonly { path: (string | number)[]; message: string }[];

  constructor(issues: readonly { path: (string | number)[]; message: string }[]) {
    super(
      `invalid tenant config: ${issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`).join('; ')}`,
    );
    this.name = 'TenantConfigError';
    this.issues = issues;
  }
}

/** How a tenant's config is read: its references resolved by `secrets`, else from `env`. */
export interface TenantParseOptions {
  secrets?: SecretResolver;
  env?: Environment;
}

/**
 * One tenant's config, validated: what a runtime without a config file (a Lambda, a Worker, an admin
 * API) calls with the tenant as JSON. `secrets` resolves its references (`new SecretResolver(env)`, or
 * `SecretResolver.withStore(…)` where a secret store is read first). Its providers are the built-in
 * `providerRegistry`'s unless `registry` is another. Throws TenantConfigError.
 */
export function parseTenantConfig(
  input: unknown,
  options: TenantSchemaOptions & TenantParseOptions = {},
): TenantConfig {
  return parseTenantConfigWith(options.registry ?? providerRegistry, input, options);
}

/**
 * `parseTenantConfig` over `registry`'s providers alone: a bundle that carries only some vendors (what
 * `factory deploy` builds) calls this, as nothing here reaches for the built-in registry and every
 * vendor in it.
 */
export function parseTenantConfigWith(
  registry: ProviderRegistry,
  input: unknown,
  options: TenantParseOptions = {},
): TenantConfig {
  const secrets = options.secrets ?? new SecretResolver(options.env ?? {});
  const schema = tenantConfigSchema(secrets, { registry }).check(
    z.superRefine((tenant, context) => checkTenant(tenant as TenantFields, context, registry)),
  );
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw new TenantConfigError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.map((key) => (typeof key === 'number' ? key : String(key))),
        message: issue.message,
      })),
    );
  return parsed.data as TenantConfig;
}
