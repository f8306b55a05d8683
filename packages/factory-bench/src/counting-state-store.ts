import type {
  IndexKind,
  QueueEntry,
  RecordPage,
  SlotHolder,
  StateStore,
  WorkItemRecord,
  WorkItemStatus,
} from 'factory-sdk';

/**
 * A StateStore that forwards every call and counts it by method: the store requests one event costs,
 * whatever store sits underneath. Read `take()` after the work you measure (it also resets).
 */
export class CountingStateStore implements StateStore {
  readonly #inner: StateStore;
  #counts = new Map<string, number>();

  constructor(inner: StateStore) {
    this.#inner = inner;
  }

  get total(): number {
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    return total;
  }

  /** Calls per method since the last `take()`, methods sorted by name; then starts counting afresh. */
  take(): Record<string, number> {
    const counts = Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
    this.#counts = new Map();
    return counts;
  }

  #count(method: string): StateStore {
    this.#counts.set(method, (this.#counts.get(method) ?? 0) + 1);
    return this.#inner;
  }

  ping(): Promise<void> {
    return this.#count('ping').ping();
  }
  getRecord(tenant: string, workItemId: string): Promise<WorkItemRecord | undefined> {
    return this.#count('getRecord').getRecord(tenant, workItemId);
  }
  createRecord(tenant: string, record: WorkItemRecord): Promise<boolean> {
    return this.#count('createRecord').createRecord(tenant, record);
  }
  updateRecord(tenant: string, record: WorkItemRecord, expectedVersion: number): Promise<boolean> {
    return this.#count('updateRecord').updateRecord(tenant, record, expectedVersion);
  }
  listRecords(
    tenant: string,
    query?: { statuses?: readonly WorkItemStatus[]; limit?: number; cursor?: string },
  ): Promise<RecordPage> {
    return this.#count('listRecords').listRecords(tenant, query);
  }
  listDue(tenant: string, now: number, limit: number): Promise<WorkItemRecord[]> {
    return this.#count('listDue').listDue(tenant, now, limit);
  }
  putIndex(tenant: string, kind: IndexKind, value: string, workItemId: string): Promise<void> {
    return this.#count('putIndex').putIndex(tenant, kind, value, workItemId);
  }
  getIndex(tenant: string, kind: IndexKind, value: string): Promise<string | undefined> {
    return this.#count('getIndex').getIndex(tenant, kind, value);
  }
  deleteIndex(tenant: string, kind: IndexKind, value: string): Promise<void> {
    return this.#count('deleteIndex').deleteIndex(tenant, kind, value);
  }
  rememberEvent(tenant: string, key: string, options: { now: number; expiresAt: number }): Promise<boolean> {
    return this.#count('rememberEvent').rememberEvent(tenant, key, options);
  }
  forgetEvent(tenant: string, key: string): Promise<void> {
    return this.#count('forgetEvent').forgetEvent(tenant, key);
  }
  enqueue(tenant: string, entry: QueueEntry): Promise<void> {
    return this.#count('enqueue').enqueue(tenant, entry);
  }
  listQueue(tenant: string, limit: number): Promise<QueueEntry[]> {
    return this.#count('listQueue').listQueue(tenant, limit);
  }
  dequeue(tenant: string, entry: QueueEntry): Promise<boolean> {
    return this.#count('dequeue').dequeue(tenant, entry);
  }
  acquireSlot(
    tenant: string,
    pool: string,
    holder: string,
    options: { limit: number; now: number },
  ): Promise<boolean> {
    return this.#count('acquireSlot').acquireSlot(tenant, pool, holder, options);
  }
  releaseSlot(tenant: string, pool: string, holder: string): Promise<boolean> {
    return this.#count('releaseSlot').releaseSlot(tenant, pool, holder);
  }
  listSlots(tenant: string, pool: string): Promise<SlotHolder[]> {
    return this.#count('listSlots').listSlots(tenant, pool);
  }
}
