export {
  type ConnectionTarget,
  connectionTarget,
  DEFAULT_POOL_SIZE,
  describeTarget,
  type PostgresConnectionOptions,
  redactConnection,
  type SslMode,
} from './connection-options.ts';
export { POSTGRES_SCHEMA_VERSION, SchemaTooNewError } from './postgres-schema.ts';
export {
  PostgresStateStore,
  type PostgresStateStoreOptions,
  PostgresStoreError,
} from './postgres-state-store.ts';
