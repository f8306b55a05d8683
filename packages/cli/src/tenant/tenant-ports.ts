import { type BuiltTenant, buildTenant } from '@software-factory/providers/registry';
import { type Logger, silentLogger } from '@software-factory/sdk';
import type { FactoryConfig } from '../config/config-schema.ts';
import type { Environment } from '../config/secret-reference.ts';
import { type ConfiguredCredentials, openCredentialStore } from './credential-store-from-config.ts';
import { nodeTenantContext } from './tenant-context.ts';

/** One tenant's providers, built without a store, a fleet or a server: for `check` and `connect`. */
export interface TenantPorts extends BuiltTenant {
  credentials: ConfiguredCredentials;
}

/** Every tenant's providers from a loaded config, through the provider registry; nothing is started. */
export function buildTenantPorts(
  config: FactoryConfig,
  options: { env?: Environment; logger?: Logger } = {},
): TenantPorts[] {
  const credentials = openCredentialStore(config.credentials, options.env ?? process.env);
  const logger = options.logger ?? silentLogger;
  return config.tenants.map((tenant) => ({
    ...buildTenant(tenant, nodeTenantContext(tenant, { credentials, logger })),
    credentials,
  }));
}

export { checkConnections } from '@software-factory/providers/registry';
