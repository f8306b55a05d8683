export { runCli } from './cli.ts';
export { CliError, EXIT_FAILURE, EXIT_USAGE } from './cli-error.ts';
export { ConfigError } from './config/config-error.ts';
export {
  configJsonSchema,
  configSchema,
  DEFAULT_CREDENTIALS_PATH,
  type DeploymentConfig,
  type FactoryConfig,
  type TenantConfig,
} from './config/config-schema.ts';
export { loadConfig, type ParseOptions, parseConfig } from './config/load-config.ts';
export { type Environment, SecretResolver, secretReference } from './config/secret-reference.ts';
export { runDemo } from './demo/run-demo.ts';
export { type Listening, listen } from './http-listener.ts';
export {
  type LocalAgentExit,
  LocalProcessFleet,
  type LocalProcessFleetOptions,
} from './local-process-fleet.ts';
export { ensureDemoRepository, type LocalSetup, localSetupConfig, localSetupYaml } from './local-setup.ts';
export {
  LocalWritebackMount,
  type LocalWritebackOptions,
  type WatchableMount,
} from './local-writeback-mount.ts';
export { MountFeed, type MountFeedOptions } from './mount-feed.ts';
export { NodeRuntime, type NodeRuntimeOptions } from './node-runtime.ts';
export {
  EXIT_UNCONNECTED,
  type TenantConnections,
  unconnectedProviderLines,
} from './operator/unconnected-providers.ts';
export { SqliteStateStore, type SqliteStateStoreOptions } from './sqlite-state-store.ts';
export {
  type ConfiguredCredentials,
  type OAuthClientConfig,
  openCredentialStore,
  storedToken,
} from './tenant/credential-store-from-config.ts';
export { type ConfiguredFleet, fleetFromConfig } from './tenant/fleet-from-config.ts';
export { type NodeTenantContextOptions, nodeTenantContext } from './tenant/tenant-context.ts';
export { buildTenantPorts, checkConnections, type TenantPorts } from './tenant/tenant-ports.ts';
export { type NodeTenant, type TenantDependencies, tenantFromConfig } from './tenant-from-config.ts';
export { TickTimer } from './tick-timer.ts';
export { VERSION } from './version.ts';
