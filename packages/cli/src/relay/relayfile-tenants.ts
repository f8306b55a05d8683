import { buildTenant } from '@software-factory/providers/registry';
import {
  type MountEventSource,
  mountTransports,
  pathGlobsOf,
  RelayfileMount,
} from '@software-factory/relayfile';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import type { FactoryConfig, TenantConfig } from '../config/config-schema.ts';

/** What `factory subscribe` and `factory relay` need of a tenant whose mount is a relayfile workspace. */
export interface RelayfileTenant {
  id: string;
  workspace: string;
  baseUrl: string;
  /** relayfile's bearer token, resolved from the config's `${ENV}` reference. Never printed. */
  token: string;
  /** The secret deliveries are signed with; the tenant's webhook source verifies the same one. Never printed. */
  secret: string;
  mount: RelayfileMount;
  /** The union of the globs the tenant's relayfile-transport providers own, sorted. */
  pathGlobs: string[];
}

/** Every tenant of the config whose mount is relayfile, in config order. */
export function relayfileTenants(config: FactoryConfig): RelayfileTenant[] {
  const tenants: RelayfileTenant[] = [];
  for (const tenant of config.tenants) {
    const mountConfig = tenant.mount;
    if (mountConfig?.type !== 'relayfile') continue;
    const mount = new RelayfileMount({
      baseUrl: mountConfig.baseUrl,
      token: mountConfig.token,
      workspaceId: mountConfig.workspace,
    });
    tenants.push({
      id: tenant.id,
      workspace: mountConfig.workspace,
      baseUrl: mountConfig.baseUrl,
      token: mountConfig.token,
      secret: mountConfig.webhookSecret,
      mount,
      pathGlobs: pathGlobsOf(mountSources(tenant, mount)),
    });
  }
  return tenants;
}

/**
 * The tenants a command acts on: the one named by `--tenant`, else all of them. A name that is not a
 * tenant, or a tenant without a relayfile mount, is a usage error.
 */
export function selectRelayfileTenants(
  config: FactoryConfig,
  tenantId: string | undefined,
): RelayfileTenant[] {
  const all = relayfileTenants(config);
  if (tenantId === undefined) {
    if (all.length === 0)
      throw new CliError(
        `no tenant in ${config.source} reads through relayfile (a tenant needs mount: { type: relayfile, … })`,
        EXIT_USAGE,
      );
    return all;
  }
  const chosen = all.find((tenant) => tenant.id === tenantId);
  if (chosen) return [chosen];
  const known = config.tenants.map((tenant) => tenant.id);
  throw new CliError(
    known.includes(tenantId)
      ? `--tenant ${tenantId}: this tenant has no relayfile mount in ${config.source}`
      : `--tenant ${tenantId}: no such tenant in ${config.source} (tenants: ${known.join(', ')})`,
    EXIT_USAGE,
  );
}

/** Exactly one tenant: the named one, or the only relayfile tenant there is. */
export function oneRelayfileTenant(config: FactoryConfig, tenantId: string | undefined): RelayfileTenant {
  const selected = selectRelayfileTenants(config, tenantId);
  const [tenant, ...others] = selected;
  if (!tenant || others.length > 0)
    throw new CliError(
      `several tenants read through relayfile (${selected.map((t) => t.id).join(', ')}): choose one with --tenant`,
      EXIT_USAGE,
    );
  return tenant;
}

/**
 * The tenant's providers with `transport: relayfile`, built through the provider registry as `factory
 * start` builds them, so the globs registered are exactly the paths the running factory reads (the paths
 * live in the providers). Nothing is asked of the vendors here.
 */
function mountSources(tenant: TenantConfig, mount: RelayfileMount): MountEventSource[] {
  return buildTenant(tenant, {
    tenant: tenant.id,
    mount: { open: () => mount, transports: mountTransports },
  }).mountSources;
}

/** The tenant's globs; a relayfile mount that no provider reads through has nothing to subscribe. */
export function subscribedGlobs(tenant: RelayfileTenant): string[] {
  if (tenant.pathGlobs.length === 0)
    throw new CliError(
      `tenant ${tenant.id} has a relayfile mount but no provider with transport: relayfile, so no paths to subscribe`,
      EXIT_USAGE,
    );
  return tenant.pathGlobs;
}
