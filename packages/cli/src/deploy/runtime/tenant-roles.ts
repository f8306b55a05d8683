import { directProviders } from '@software-factory/providers';
import type {
  ClarificationChannel,
  Factory,
  Logger,
  OutputTarget,
  TenantRuntime,
  WorkItemProvider,
} from '@software-factory/sdk';
import type { DeployedTenant } from './deployment.ts';

/** A tenant's three role ports, and the runtime that mounts their webhook sources on its factory. */
export interface TenantRoles {
  workItems: WorkItemProvider;
  clarifications: ClarificationChannel;
  outputs: OutputTarget;
  /** Webhook sources by route segment and cached connection checks, for the tenant's factory. */
  tenant(factory: Factory): TenantRuntime;
}

/** The fields of the CLI's provider blocks that say where a secret is, not how the provider behaves. */
const WIRING_FIELDS = new Set([
  'transport',
  'apiKey',
  'botToken',
  'token',
  'webhookSecret',
  'signingSecret',
  'oauth',
]);

/**
 * A deployed tenant's role ports and webhook sources, from its validated config with the secrets
 * already resolved. Runtime-neutral (Node, Lambda, Workers).
 *
 * This is the one place a deployment meets the providers: today through `directProviders`, for the
 * direct transport (the deploy command refuses the others); the provider registry's runtime-neutral
 * builder replaces this body when it lands.
 */
export function tenantRoles(tenant: DeployedTenant, context: { logger: Logger }): TenantRoles {
  const roles = {
    intentProvider: tenant.intentProvider,
    clarificationChannel: tenant.clarificationChannel,
    outputTarget: tenant.outputTarget,
  };
  const tokens = new Map<string, string>();
  const webhookSecrets = new Map<string, string>();
  for (const block of Object.values(roles) as Record<string, unknown>[]) {
    const name = typeof block.provider === 'string' ? block.provider : String(block.type);
    for (const field of ['apiKey', 'botToken', 'token'])
      if (typeof block[field] === 'string') tokens.set(name, block[field] as string);
    for (const field of ['webhookSecret', 'signingSecret'])
      if (typeof block[field] === 'string') webhookSecrets.set(String(block.type), block[field] as string);
  }
  const providers = directProviders(
    Object.fromEntries(
      Object.entries(roles).map(([role, block]) => [
        role,
        Object.fromEntries(Object.entries(block).filter(([field]) => !WIRING_FIELDS.has(field))),
      ]),
    ),
    {
      secrets: {
        token: (provider) => tokens.get(provider),
        webhookSecret: (source) => webhookSecrets.get(source),
      },
      logger: context.logger,
    },
  );
  return {
    workItems: providers.workItems,
    clarifications: providers.clarifications,
    outputs: providers.outputs,
    tenant: (factory) => providers.tenant(factory),
  };
}
