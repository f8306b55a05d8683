import * as z from 'zod/mini';

/**
 * The admin API's answers as the CLI relies on them. Whatever answers at `--remote` is checked against
 * these before anything is printed: extra fields pass, a missing or mistyped one is refused.
 */
const tenantId = z.string().check(z.minLength(1), z.maxLength(64));
const origin = z.enum(['config', 'store']);

export const tenantListSchema = z.object({
  tenants: z.array(z.object({ id: tenantId, origin, version: z.optional(z.int()) })),
});
export type TenantListEntry = z.infer<typeof tenantListSchema>['tenants'][number];

export const tenantCreatedSchema = z.object({
  id: tenantId,
  version: z.int(),
  adminToken: z.string().check(z.minLength(1)),
});
export type TenantCreated = z.infer<typeof tenantCreatedSchema>;

export const tenantSchema = z.object({
  id: tenantId,
  origin,
  version: z.optional(z.int()),
  config: z.optional(z.record(z.string(), z.unknown())),
});
export type RemoteTenant = z.infer<typeof tenantSchema>;

const scopes = z.array(z.string());
export const connectionStateSchema = z.enum(['connected', 'needs-auth', 'missing-scopes', 'error']);

export const connectionsSchema = z.object({
  tenant: tenantId,
  providers: z.array(
    z.object({
      provider: z.string().check(z.minLength(1)),
      role: z.string().check(z.minLength(1)),
      state: connectionStateSchema,
      identity: z.optional(z.string()),
      missing: z.optional(scopes),
      reason: z.optional(z.string()),
      message: z.optional(z.string()),
      grantedScopes: z.optional(scopes),
    }),
  ),
  refusal: z.optional(z.string()),
});
export type RemoteConnections = z.infer<typeof connectionsSchema>;
export type RemoteConnection = RemoteConnections['providers'][number];

const expiresAt = z.number();
export const connectStartSchema = z.discriminatedUnion('flow', [
  z.object({
    flow: z.literal('authorization-code'),
    provider: z.string(),
    authorizationUrl: z.string(),
    scopes,
    expiresAt,
  }),
  z.object({
    flow: z.literal('device'),
    provider: z.string(),
    verificationUri: z.string(),
    userCode: z.string(),
    scopes,
    expiresAt,
    intervalSeconds: z.number().check(z.positive()),
  }),
]);
export type RemoteConnectStart = z.infer<typeof connectStartSchema>;

const connectionStatusSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('connected'),
    identity: z.optional(z.string()),
    grantedScopes: z.optional(scopes),
  }),
  z.object({ state: z.literal('needs-auth'), reason: z.string() }),
  z.object({
    state: z.literal('missing-scopes'),
    missing: scopes,
    identity: z.optional(z.string()),
    grantedScopes: z.optional(scopes),
  }),
  z.object({ state: z.literal('error'), message: z.string() }),
]);

export const connectProgressSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('none') }),
  z.object({ state: z.literal('pending'), flow: z.enum(['authorization-code', 'device']), expiresAt }),
  z.object({ state: z.literal('connected'), status: connectionStatusSchema }),
  z.object({ state: z.literal('failed'), reason: z.string() }),
  z.object({ state: z.literal('expired') }),
]);
export type RemoteConnectProgress = z.infer<typeof connectProgressSchema>;

/** An error answer: `{ error }`, with `issues` when a config was refused. */
export const errorBodySchema = z.object({
  error: z.optional(z.string()),
  issues: z.optional(
    z.array(
      z.object({
        path: z.optional(z.union([z.string(), z.array(z.union([z.string(), z.number()]))])),
        message: z.string(),
      }),
    ),
  ),
  version: z.optional(z.number()),
});
