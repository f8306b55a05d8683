import {
  type Connectable,
  type ConnectionReport,
  type Logger,
  type ProviderRole,
  silentLogger,
} from '@software-factory/sdk';
import type { FactoryConfig } from '../config/config-schema.ts';
import type { Environment } from '../config/secret-reference.ts';
import { type ConfiguredCredentials, openCredentialStore } from './credential-store-from-config.ts';
import { type RolePorts, rolePortsFromConfig } from './role-ports-from-config.ts';

/** One tenant's role ports, built without a store, a fleet or a server: for `check` and `connect`. */
export interface TenantPorts extends RolePorts {
  id: string;
  credentials: ConfiguredCredentials;
  /** Asks every declared provider now (no caching). */
  connections(): Promise<ConnectionReport[]>;
}

/** Every tenant's role ports from a loaded config; nothing is started and nothing is written. */
export function buildTenantPorts(
  config: FactoryConfig,
  options: { env?: Environment; logger?: Logger } = {},
): TenantPorts[] {
  const credentials = openCredentialStore(config.credentials, options.env ?? process.env);
  return config.tenants.map((tenant) => {
    const ports = rolePortsFromConfig(tenant, { credentials, logger: options.logger ?? silentLogger });
    return { ...ports, id: tenant.id, credentials, connections: () => checkConnections(ports.connectables) };
  });
}

/** The connection of each provider; a check that throws is an `error` report, never a crash. */
export function checkConnections(
  connectables: readonly (readonly [Connectable, ProviderRole])[],
): Promise<ConnectionReport[]> {
  return Promise.all(
    connectables.map(async ([port, role]): Promise<ConnectionReport> => {
      try {
        return { provider: port.provider, role, status: await port.checkConnection() };
      } catch (error) {
        return {
          provider: port.provider,
          role,
          status: { state: 'error', message: error instanceof Error ? error.message : String(error) },
        };
      }
    }),
  );
}
