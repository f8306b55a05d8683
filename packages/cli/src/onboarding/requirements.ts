import { type TenantRequirement, tenantRequirements } from '@software-factory/providers/registry';
import type { FactoryConfig } from '../config/config-schema.ts';
import type { TenantPorts } from '../tenant/tenant-ports.ts';

/** The fleet `factory start` suggests when a tenant has none. */
export const FLEET_EXAMPLE = 'fleet: { type: local, command: claude -p, repository: . }';

/** What one tenant still needs before `factory start` takes work with it. */
export interface TenantNeeds {
  tenant: string;
  needs: TenantRequirement[];
}

/** Every tenant's requirements (a fleet, a webhook secret, a channel…), from its built providers. */
export function tenantNeeds(
  config: Pick<FactoryConfig, 'tenants'>,
  tenants: readonly { id: string; missing: TenantPorts['missing'] }[],
): TenantNeeds[] {
  return config.tenants.map((tenant) => ({
    tenant: tenant.id,
    needs: tenantRequirements(
      tenant,
      tenants.find((built) => built.id === tenant.id) ?? { missing: [] },
      FLEET_EXAMPLE,
    ),
  }));
}

/** One line per requirement: `intentProvider.webhookSecret: the secret Linear signs its webhooks with; set …`. */
export function requirementLines(needs: readonly TenantNeeds[], indent = '  '): string[] {
  const several = needs.length > 1;
  return needs.flatMap(({ tenant, needs: list }) =>
    list.map(
      (need) => `${indent}${several ? `${tenant}: ` : ''}${need.path.join('.')}: ${need.what}; ${need.fix}`,
    ),
  );
}
