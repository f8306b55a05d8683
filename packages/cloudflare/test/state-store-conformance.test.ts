import { env } from 'cloudflare:test';
import { describeStateStoreConformance } from '@software-factory/sdk/testing';
import { DurableObjectStateStore, KvIndexCache } from '../src/index.ts';

describeStateStoreConformance(
  'DurableObjectStateStore',
  () => new DurableObjectStateStore(env.FACTORY_STATE),
);

describeStateStoreConformance(
  'DurableObjectStateStore with a KV lookup cache',
  () => new DurableObjectStateStore(env.FACTORY_STATE, { indexCache: new KvIndexCache(env.FACTORY_CACHE) }),
);
