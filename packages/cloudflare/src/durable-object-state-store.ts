import {
  expectedRecordVersion,
  type StateStore,
  type Store,
  type WorkItemRecord,
} from '@software-factory/sdk';
import type { FactoryStateObject } from './factory-state-object.ts';
import type { KvIndexCache } from './kv-index-cache.ts';

/** The object `ping` reaches: a name no tenant can have (the app's tenant ids start with a letter or digit). */
const PING_OBJECT = '\u0000ping';

export interface DurableObjectStateStoreOptions {
  /** A KV read-through cache for write-once lookups; see `KvIndexCache`. */
  indexCache?: KvIndexCache;
}

/**
 * The StateStore on Cloudflare: each tenant's state lives in its own `FactoryStateObject`
 * (`idFromName(tenant)`), which performs every operation atomically; this Worker-side class only
 * forwards calls to it over RPC. Errors are not retried here: a write whose answer was lost would,
 * retried, report a conflict it caused itself; the core turns the error into a retry by the sender
 * or the next tick instead.
 */
export class DurableObjectStateStore implements StateStore {
  readonly #namespace: DurableObjectNamespace<FactoryStateObject>;
  readonly #indexCache: KvIndexCache | undefined;

  constructor(
    namespace: DurableObjectNamespace<FactoryStateObject>,
    options: DurableObjectStateStoreOptions = {},
  ) {
    this.#namespace = namespace;
    this.#indexCache = options.indexCache;
  }

  async ping(): Promise<void> {
    await this.#namespace.get(this.#namespace.idFromName(PING_OBJECT)).ping();
  }

  async getRecord(tenant: string, workItemId: string): Promise<WorkItemRecord | undefined> {
    return (await this.#object(tenant).getRecord(workItemId)) as WorkItemRecord | undefined;
  }

  async load(tenant: string, workItemId: string, documentName: string): Promise<Store.RecordAndDocument> {
    return (await this.#object(tenant).load(workItemId, documentName)) as Store.RecordAndDocument;
  }

  async commit(tenant: string, change: Store.RecordCommit): Promise<boolean> {
    const { record, document, lookups = [], deliveries = [] } = change;
    const stored = await this.#object(tenant).commit(
      record,
      expectedRecordVersion(record),
      document && {
        name: document.name,
        body: JSON.stringify(document.value),
        expectedVersion: document.expectedVersion,
      },
      lookups.map((lookup) => ({ kind: lookup.kind, value: lookup.value })),
      deliveries.map((delivery) => ({ key: delivery.key, expiresAt: delivery.expiresAt })),
    );
    // After the object, so the cache never names a mapping the object does not have.
    if (stored)
      for (const lookup of lookups)
        await this.#indexCache?.put(tenant, lookup.kind, lookup.value, record.workItemId);
    return stored;
  }

  async listRecords(tenant: string, query?: Store.RecordQuery): Promise<Store.RecordPage> {
    return (await this.#object(tenant).listRecords(query)) as Store.RecordPage;
  }

  async listDue(tenant: string, now: number, limit: number): Promise<WorkItemRecord[]> {
    return (await this.#object(tenant).listDue(now, limit)) as WorkItemRecord[];
  }

  /**
   * One call to the object either way: a lookup KV knows is followed by `load`, any other is resolved
   * by the object with the record and the document (and then kept in KV, for the kinds it caches).
   */
  async find(tenant: string, lookup: Store.Lookup, documentName: string): Promise<Store.FoundRecord> {
    const cache = this.#indexCache?.caches(lookup.kind) ? this.#indexCache : undefined;
    const cached = await cache?.get(tenant, lookup.kind, lookup.value);
    if (cached !== undefined)
      return { workItemId: cached, ...(await this.load(tenant, cached, documentName)) };
    const found = (await this.#object(tenant).find(
      lookup.kind,
      lookup.value,
      documentName,
    )) as Store.FoundRecord;
    if (found.workItemId !== undefined) await cache?.put(tenant, lookup.kind, lookup.value, found.workItemId);
    return found;
  }

  async getDocument(tenant: string, name: string): Promise<Store.TenantDocument | undefined> {
    return (await this.#object(tenant).getDocument(name)) as Store.TenantDocument | undefined;
  }

  putDocument(tenant: string, name: string, value: unknown, expectedVersion: number): Promise<boolean> {
    return this.#object(tenant).putDocument(name, JSON.stringify(value), expectedVersion);
  }

  async rememberEvent(tenant: string, key: string, options: Store.EventTimes): Promise<Store.EventMemory> {
    return (await this.#object(tenant).rememberEvent(key, options)) as Store.EventMemory;
  }

  async forgetEvent(tenant: string, key: string): Promise<void> {
    await this.#object(tenant).forgetEvent(key);
  }

  async renewEvent(tenant: string, key: string, options: Store.EventTimes): Promise<boolean> {
    return (await this.#object(tenant).renewEvent(key, options)) as boolean;
  }

  #object(tenant: string): DurableObjectStub<FactoryStateObject> {
    if (!tenant) throw new Error('DurableObjectStateStore: a tenant id is required');
    return this.#namespace.get(this.#namespace.idFromName(tenant));
  }
}
