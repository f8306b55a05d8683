import { buildTenant } from '@software-factory/providers/registry';
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

/**
 * A deployed tenant's role ports and webhook sources, from its validated config with the secrets
 * already resolved, through the provider registry's runtime-neutral builder (`buildTenant`, the same one
 * `factory start` uses). Runtime-neutral (Node, Lambda, Workers).
 */
export function tenantRoles(tenant: DeployedTenant, context: { logger: Logger }): TenantRoles {
  const built = buildTenant(tenant, { tenant: tenant.id, logger: context.logger });
  // A deployment takes work as soon as it runs: what a provider still needs is a broken deployment.
  const [missing] = built.missing;
  if (missing)
    throw new Error(`tenant ${tenant.id}: ${missing.path.join('.')}: ${missing.what}; ${missing.fix}`);
  return {
    ...built.ports,
    tenant: (factory) => built.runtime(factory),
  };
}
