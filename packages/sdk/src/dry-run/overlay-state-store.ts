import {
  expectedRecordVersion,
  type IndexKind,
  type QueueEntry,
  type RecordAndDocument,
  type RecordCommit,
  type RecordPage,
  type SlotHolder,
  type StateStore,
  type TenantDocument,
} from '../ports/state-store.ts';
import type { WorkItemRecord, WorkItemStatus } from '../record.ts';

const queueKey = (entry: QueueEntry) => `${entry.enqueuedAt}\u0000${entry.workItemId}`;

/**
 * Reads through to a real store and keeps every write in memory, so a dry run decides exactly as a real
 * run would from the real state while leaving that state untouched. One overlay serves one call.
 */
export class OverlayStateStore implements StateStore {
  readonly #base: StateStore;
  readonly #records = new Map<string, WorkItemRecord>();
  readonly #index = new Map<string, string | null>();
  readonly #events = new Map<string, number | null>();
  readonly #queue = new Map<string, QueueEntry | null>();
  readonly #slots = new Map<string, { acquiredAt: number } | null>();
  readonly #documents = new Map<string, TenantDocument>();

  constructor(base: StateStore) {
    this.#base = base;
  }

  ping(): Promise<void> {
    return this.#base.ping();
  }

  async getRecord(tenant: string, workItemId: string): Promise<WorkItemRecord | undefined> {
    const own = this.#records.get(`${tenant}\u0000${workItemId}`);
    return own ? structuredClone(own) : this.#base.getRecord(tenant, workItemId);
  }

  async createRecord(tenant: string, record: WorkItemRecord): Promise<boolean> {
    if (await this.getRecord(tenant, record.workItemId)) return false;
    this.#records.set(`${tenant}\u0000${record.workItemId}`, structuredClone(record));
    return true;
  }

  async updateRecord(tenant: string, record: WorkItemRecord, expectedVersion: number): Promise<boolean> {
    if ((await this.getRecord(tenant, record.workItemId))?.version !== expectedVersion) return false;
    this.#records.set(`${tenant}\u0000${record.workItemId}`, structuredClone(record));
    return true;
  }

  async load(tenant: string, workItemId: string, documentName: string): Promise<RecordAndDocument> {
    const [record, document] = await Promise.all([
      this.getRecord(tenant, workItemId),
      this.getDocument(tenant, documentName),
    ]);
    return { record, document };
  }

  async commit(tenant: string, change: RecordCommit): Promise<boolean> {
    const { record, document, lookups = [] } = change;
    const expected = expectedRecordVersion(record);
    const [stored, storedDocument] = await Promise.all([
      this.getRecord(tenant, record.workItemId),
      document ? this.getDocument(tenant, document.name) : undefined,
    ]);
    if ((stored?.version ?? 0) !== expected) return false;
    if (document && (storedDocument?.version ?? 0) !== document.expectedVersion) return false;
    this.#records.set(`${tenant}\u0000${record.workItemId}`, structuredClone(record));
    if (document)
      this.#documents.set(`${tenant}\u0000${document.name}`, {
        value: structuredClone(document.value),
        version: document.expectedVersion + 1,
      });
    for (const lookup of lookups)
      this.#index.set(`${tenant}\u0000${lookup.kind}\u0000${lookup.value}`, record.workItemId);
    return true;
  }

  async listRecords(
    tenant: string,
    query: { statuses?: readonly WorkItemStatus[]; limit?: number; cursor?: string } = {},
  ): Promise<RecordPage> {
    const page = await this.#base.listRecords(tenant, query);
    const merged = new Map(page.records.map((record) => [record.workItemId, record]));
    for (const [key, record] of this.#records) {
      if (!key.startsWith(`${tenant}\u0000`)) continue;
      if (!query.statuses || query.statuses.includes(record.status))
        merged.set(record.workItemId, structuredClone(record));
      else merged.delete(record.workItemId);
    }
    const records = [...merged.values()].sort((a, b) => (a.workItemId < b.workItemId ? -1 : 1));
    return page.cursor ? { records, cursor: page.cursor } : { records };
  }

  async listDue(tenant: string, now: number, limit: number): Promise<WorkItemRecord[]> {
    const due = new Map(
      (await this.#base.listDue(tenant, now, limit)).map((record) => [record.workItemId, record]),
    );
    for (const [key, record] of this.#records) {
      if (!key.startsWith(`${tenant}\u0000`)) continue;
      if (record.wakeAt !== undefined && record.wakeAt <= now)
        due.set(record.workItemId, structuredClone(record));
      else due.delete(record.workItemId);
    }
    return [...due.values()].sort((a, b) => (a.wakeAt ?? 0) - (b.wakeAt ?? 0)).slice(0, limit);
  }

  async putIndex(tenant: string, kind: IndexKind, value: string, workItemId: string): Promise<void> {
    this.#index.set(`${tenant}\u0000${kind}\u0000${value}`, workItemId);
  }

  async getIndex(tenant: string, kind: IndexKind, value: string): Promise<string | undefined> {
    const own = this.#index.get(`${tenant}\u0000${kind}\u0000${value}`);
    if (own === null) return undefined;
    return own ?? this.#base.getIndex(tenant, kind, value);
  }

  async deleteIndex(tenant: string, kind: IndexKind, value: string): Promise<void> {
    this.#index.set(`${tenant}\u0000${kind}\u0000${value}`, null);
  }

  /** Like `rememberEvent`, only what this overlay remembered counts. */
  async seenEvent(tenant: string, key: string, now: number): Promise<boolean> {
    const own = this.#events.get(`${tenant}\u0000${key}`);
    return own !== undefined && own !== null && own > now;
  }

  async rememberEvent(
    tenant: string,
    key: string,
    options: { now: number; expiresAt: number },
  ): Promise<boolean> {
    const own = this.#events.get(`${tenant}\u0000${key}`);
    if (own !== undefined && own !== null && own > options.now) return false;
    this.#events.set(`${tenant}\u0000${key}`, options.expiresAt);
    return true;
  }

  async forgetEvent(tenant: string, key: string): Promise<void> {
    this.#events.set(`${tenant}\u0000${key}`, null);
  }

  async enqueue(tenant: string, entry: QueueEntry): Promise<void> {
    const key = `${tenant}\u0000${queueKey(entry)}`;
    if (this.#queue.get(key) !== null) this.#queue.set(key, { ...entry });
  }

  async listQueue(tenant: string, limit: number): Promise<QueueEntry[]> {
    const merged = new Map(
      (await this.#base.listQueue(tenant, limit + this.#queue.size)).map((entry) => [queueKey(entry), entry]),
    );
    for (const [key, entry] of this.#queue) {
      if (!key.startsWith(`${tenant}\u0000`)) continue;
      const own = key.slice(tenant.length + 1);
      if (entry === null) merged.delete(own);
      else merged.set(own, entry);
    }
    return [...merged.values()]
      .sort(
        (a, b) =>
          a.enqueuedAt - b.enqueuedAt ||
          (a.workItemId < b.workItemId ? -1 : a.workItemId > b.workItemId ? 1 : 0),
      )
      .slice(0, limit);
  }

  async dequeue(tenant: string, entry: QueueEntry): Promise<boolean> {
    const present = (await this.listQueue(tenant, Number.MAX_SAFE_INTEGER)).some(
      (queued) => queueKey(queued) === queueKey(entry),
    );
    this.#queue.set(`${tenant}\u0000${queueKey(entry)}`, null);
    return present;
  }

  async acquireSlot(
    tenant: string,
    pool: string,
    holder: string,
    options: { limit: number; now: number },
  ): Promise<boolean> {
    const held = await this.listSlots(tenant, pool);
    if (held.some((slot) => slot.holder === holder)) return true;
    if (held.length >= options.limit) return false;
    this.#slots.set(`${tenant}\u0000${pool}\u0000${holder}`, { acquiredAt: options.now });
    return true;
  }

  async releaseSlot(tenant: string, pool: string, holder: string): Promise<boolean> {
    const held = (await this.listSlots(tenant, pool)).some((slot) => slot.holder === holder);
    this.#slots.set(`${tenant}\u0000${pool}\u0000${holder}`, null);
    return held;
  }

  async listSlots(tenant: string, pool: string): Promise<SlotHolder[]> {
    const merged = new Map((await this.#base.listSlots(tenant, pool)).map((slot) => [slot.holder, slot]));
    const prefix = `${tenant}\u0000${pool}\u0000`;
    for (const [key, slot] of this.#slots) {
      if (!key.startsWith(prefix)) continue;
      const holder = key.slice(prefix.length);
      if (slot === null) merged.delete(holder);
      else merged.set(holder, { holder, acquiredAt: slot.acquiredAt });
    }
    return [...merged.values()];
  }

  async getDocument(tenant: string, name: string): Promise<TenantDocument | undefined> {
    const own = this.#documents.get(`${tenant}\u0000${name}`);
    return own ? structuredClone(own) : this.#base.getDocument(tenant, name);
  }

  async putDocument(tenant: string, name: string, value: unknown, expectedVersion: number): Promise<boolean> {
    if (((await this.getDocument(tenant, name))?.version ?? 0) !== expectedVersion) return false;
    this.#documents.set(`${tenant}\u0000${name}`, {
      value: structuredClone(value),
      version: expectedVersion + 1,
    });
    return true;
  }
}
