import { frozenCopy, frozenInPlace } from './frozen.ts';
import type * as Store from './ports/state-store.ts';
import { expectedRecordVersion, type StateStore } from './ports/state-store.ts';
import type { WorkItemRecord } from './record.ts';

interface TenantState {
  records: Map<string, WorkItemRecord>;
  /** lookup kind → value → work item id: no key is built by joining the two for every write and find. */
  index: Map<Store.Lookup['kind'], Map<string, string>>;
  events: Map<string, number>;
  documents: Map<string, Store.TenantDocument>;
}

export interface InMemoryStateStoreOptions {
  /**
   * Freeze every record as it is stored (deeply, its new parts), so that changing a record read back, or
   * the one written, throws instead of changing stored state: the check that the core treats records
   * as the immutable values they are. Off by default: the core never changes a record it was handed
   * (`Draft` copies, `nextVersion` makes each next version), the test harness and the core's own tests
   * turn the check on to keep it so, and in a running factory it cost about a tenth of an event's CPU
   * (measured in the bench: some 5 µs a commit, `Object.freeze` of a record's new parts costing about a
   * microsecond each there).
   */
  freezeRecords?: boolean;
}

/**
 * The reference StateStore: everything in one process's memory. It hands out the stored values
 * themselves, without copies. A record is an immutable value its writer hands over (`nextVersion` makes
 * a new one for each write), so it is stored as it is, and frozen in place when `freezeRecords` asks
 * for the check; a document is copied once on the way in (only the parts not frozen already) and
 * frozen, as its writer may go on changing its own object. For tests and single-process use; state is
 * lost on exit.
 */
export class InMemoryStateStore implements StateStore {
  readonly #tenants = new Map<string, TenantState>();
  readonly #freezeRecords: boolean;

  constructor(options: InMemoryStateStoreOptions = {}) {
    this.#freezeRecords = options.freezeRecords === true;
  }

  #tenant(tenant: string): TenantState {
    let state = this.#tenants.get(tenant);
    if (!state) {
      state = {
        records: new Map(),
        index: new Map(),
        events: new Map(),
        documents: new Map(),
      };
      this.#tenants.set(tenant, state);
    }
    return state;
  }

  async ping(): Promise<void> {}

  async getRecord(tenant: string, workItemId: string): Promise<WorkItemRecord | undefined> {
    const record = this.#tenant(tenant).records.get(workItemId);
    return record;
  }

  async load(tenant: string, workItemId: string, documentName: string): Promise<Store.RecordAndDocument> {
    const state = this.#tenant(tenant);
    return { record: state.records.get(workItemId), document: state.documents.get(documentName) };
  }

  /** Both conditions are checked before anything is written, with no await between: one atomic step. */
  async commit(tenant: string, change: Store.RecordCommit): Promise<boolean> {
    const state = this.#tenant(tenant);
    const { record, document, lookups = [], deliveries = [] } = change;
    if ((state.records.get(record.workItemId)?.version ?? 0) !== expectedRecordVersion(record)) return false;
    if (document && (state.documents.get(document.name)?.version ?? 0) !== document.expectedVersion)
      return false;
    state.records.set(record.workItemId, this.#freezeRecords ? frozenInPlace(record) : record);
    if (document)
      state.documents.set(
        document.name,
        Object.freeze({ value: frozenCopy(document.value), version: document.expectedVersion + 1 }),
      );
    for (const lookup of lookups) {
      const byValue = state.index.get(lookup.kind) ?? new Map<string, string>();
      if (byValue.size === 0) state.index.set(lookup.kind, byValue);
      byValue.set(lookup.value, record.workItemId);
    }
    for (const delivery of deliveries) state.events.set(delivery.key, delivery.expiresAt);
    return true;
  }

  async listRecords(tenant: string, query: Store.RecordQuery = {}): Promise<Store.RecordPage> {
    const limit = query.limit ?? 100;
    const matching = [...this.#tenant(tenant).records.values()]
      .filter((record) => !query.statuses || query.statuses.includes(record.status))
      .filter((record) => query.cursor === undefined || record.workItemId > query.cursor)
      .sort((a, b) => (a.workItemId < b.workItemId ? -1 : a.workItemId > b.workItemId ? 1 : 0));
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    return {
      records: page,
      ...(matching.length > limit && last ? { cursor: last.workItemId } : {}),
    };
  }

  async listDue(tenant: string, now: number, limit: number): Promise<WorkItemRecord[]> {
    return [...this.#tenant(tenant).records.values()]
      .filter((record) => record.wakeAt !== undefined && record.wakeAt <= now)
      .sort((a, b) => (a.wakeAt as number) - (b.wakeAt as number))
      .slice(0, limit);
  }

  async find(tenant: string, lookup: Store.Lookup, documentName: string): Promise<Store.FoundRecord> {
    const state = this.#tenant(tenant);
    const workItemId = state.index.get(lookup.kind)?.get(lookup.value);
    if (workItemId === undefined) return { workItemId, record: undefined, document: undefined };
    return { workItemId, record: state.records.get(workItemId), document: state.documents.get(documentName) };
  }

  async rememberEvent(tenant: string, key: string, options: Store.EventTimes): Promise<Store.EventMemory> {
    const events = this.#tenant(tenant).events;
    const expiresAt = events.get(key);
    if (expiresAt !== undefined && expiresAt > options.now) return { fresh: false, expiresAt };
    events.set(key, options.expiresAt);
    return { fresh: true };
  }

  async forgetEvent(tenant: string, key: string): Promise<void> {
    this.#tenant(tenant).events.delete(key);
  }

  async renewEvent(tenant: string, key: string, options: Store.EventTimes): Promise<boolean> {
    const events = this.#tenant(tenant).events;
    const expiresAt = events.get(key);
    if (expiresAt === undefined || expiresAt <= options.now || expiresAt >= options.expiresAt) return false;
    events.set(key, options.expiresAt);
    return true;
  }

  async keepEvent(tenant: string, key: string, expiresAt: number): Promise<void> {
    this.#tenant(tenant).events.set(key, expiresAt);
  }

  async getDocument(tenant: string, name: string): Promise<Store.TenantDocument | undefined> {
    const document = this.#tenant(tenant).documents.get(name);
    return document;
  }

  async putDocument(tenant: string, name: string, value: unknown, expectedVersion: number): Promise<boolean> {
    const documents = this.#tenant(tenant).documents;
    if ((documents.get(name)?.version ?? 0) !== expectedVersion) return false;
    documents.set(name, Object.freeze({ value: frozenCopy(value), version: expectedVersion + 1 }));
    return true;
  }
}
