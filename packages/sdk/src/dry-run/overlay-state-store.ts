import type * as Store from '../ports/state-store.ts';
import { expectedRecordVersion, loadFound, type StateStore } from '../ports/state-store.ts';
import type { WorkItemRecord } from '../record.ts';

/**
 * Reads through to a real store and keeps every write in memory, so a dry run decides exactly as a real
 * run would from the real state while leaving that state untouched. One overlay serves one call.
 */
export class OverlayStateStore implements StateStore {
  readonly #base: StateStore;
  readonly #records = new Map<string, WorkItemRecord>();
  readonly #index = new Map<string, string>();
  readonly #events = new Map<string, number | null>();
  readonly #documents = new Map<string, Store.TenantDocument>();

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

  async load(tenant: string, workItemId: string, documentName: string): Promise<Store.RecordAndDocument> {
    const [record, document] = await Promise.all([
      this.getRecord(tenant, workItemId),
      this.getDocument(tenant, documentName),
    ]);
    return { record, document };
  }

  async commit(tenant: string, change: Store.RecordCommit): Promise<boolean> {
    const { record, document, lookups = [], deliveries = [] } = change;
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
    for (const delivery of deliveries) this.#events.set(`${tenant}\u0000${delivery.key}`, delivery.expiresAt);
    return true;
  }

  async listRecords(tenant: string, query: Store.RecordQuery = {}): Promise<Store.RecordPage> {
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

  async find(tenant: string, lookup: Store.Lookup, documentName: string): Promise<Store.FoundRecord> {
    const own = this.#index.get(`${tenant}\u0000${lookup.kind}\u0000${lookup.value}`);
    const workItemId = own ?? (await this.#base.find(tenant, lookup, documentName)).workItemId;
    return loadFound(this, tenant, workItemId, documentName);
  }

  async rememberEvent(tenant: string, key: string, options: Store.EventTimes): Promise<Store.EventMemory> {
    const own = this.#events.get(`${tenant}\u0000${key}`);
    if (own !== undefined && own !== null && own > options.now) return { fresh: false, expiresAt: own };
    this.#events.set(`${tenant}\u0000${key}`, options.expiresAt);
    return { fresh: true };
  }

  async forgetEvent(tenant: string, key: string): Promise<void> {
    this.#events.set(`${tenant}\u0000${key}`, null);
  }

  async renewEvent(tenant: string, key: string, options: Store.EventTimes): Promise<boolean> {
    const own = this.#events.get(`${tenant}\u0000${key}`);
    if (own === undefined || own === null || own <= options.now || own >= options.expiresAt) return false;
    this.#events.set(`${tenant}\u0000${key}`, options.expiresAt);
    return true;
  }

  async getDocument(tenant: string, name: string): Promise<Store.TenantDocument | undefined> {
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
