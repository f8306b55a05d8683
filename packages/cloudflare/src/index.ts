// The core's one logger, writing to the console (Workers Logs indexes its fields).
export { consoleJsonLogger } from '@software-factory/sdk';
export {
  DurableObjectStateStore,
  type DurableObjectStateStoreOptions,
} from './durable-object-state-store.ts';
export { FactoryStateObject } from './factory-state-object.ts';
export {
  createFactoryWorker,
  DEFAULT_CACHE_BINDING,
  DEFAULT_OPERATOR_TOKEN_BINDING,
  DEFAULT_STATE_BINDING,
  FactoryConfigError,
  type FactoryWorkerOptions,
  type TenantWiring,
} from './factory-worker.ts';
export { cacheConnections, type KvConnectionCacheOptions } from './kv-connection-cache.ts';
export { KvIndexCache, type KvIndexCacheOptions } from './kv-index-cache.ts';
export { resolveWorkerSecrets, workerVariables } from './worker-secrets.ts';
