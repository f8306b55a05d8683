import { DurableObject } from 'cloudflare:workers';
import type {
  EventMemory,
  IndexKind,
  RecordPage,
  WorkItemRecord,
  WorkItemStatus,
} from '@software-factory/sdk';
import { decodeRecord, encodeRecord } from './record-codec.ts';
import { STATE_SCHEMA } from './state-schema.ts';

/** Records returned by one list call stop growing past this many bytes, to keep RPC messages small. */
const LIST_BYTE_BUDGET = 8 * 1024 * 1024;
const MAX_LIST_LIMIT = 1000;
/** Expired deliveries removed per remembered event: bounded work, and the table cannot grow without end. */
const DELIVERY_SWEEP = 50;

type RecordRow = { id: string; parts: number };

/** Thrown inside a commit's transaction when a condition fails, so the transaction writes nothing. */
const CONFLICT = Symbol('conflict');

/**
 * One tenant's state: the single writer that makes each StateStore operation atomic. Every method runs
 * synchronously against the object's SQLite storage, so no other call can interleave between its read
 * and its write; multi-statement writes run in a transaction so a failure leaves nothing half-written.
 * Reached only through `DurableObjectStateStore`, one object per tenant (`idFromName(tenant)`).
 */
export class FactoryStateObject extends DurableObject<unknown> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    for (const statement of STATE_SCHEMA) this.#sql.exec(statement);
  }

  ping(): void {
    this.#sql.exec('SELECT 1').one();
  }

  getRecord(workItemId: string): WorkItemRecord | undefined {
    const row = this.#sql
      .exec<RecordRow>('SELECT id, parts FROM records WHERE id = ?', workItemId)
      .toArray()[0];
    return row && this.#read(row).record;
  }

  /** The record and a document in one call: what a handler reads before deciding. */
  load(
    workItemId: string,
    documentName: string,
  ): { record: WorkItemRecord | undefined; document: { value: unknown; version: number } | undefined } {
    return { record: this.getRecord(workItemId), document: this.getDocument(documentName) };
  }

  /**
   * The record's conditional write, the document's, the lookups and the delivery keys kept in one
   * synchronous transaction: a condition that fails throws inside it, so nothing of the commit stays
   * written.
   */
  commit(
    record: WorkItemRecord,
    expectedVersion: number,
    document: { name: string; body: string; expectedVersion: number } | undefined,
    lookups: readonly { kind: IndexKind; value: string }[],
    deliveries: readonly { key: string; expiresAt: number }[] = [],
  ): boolean {
    try {
      this.ctx.storage.transactionSync(() => {
        const stored = this.#sql
          .exec<{ version: number }>('SELECT version FROM records WHERE id = ?', record.workItemId)
          .toArray()[0];
        if ((stored?.version ?? 0) !== expectedVersion) throw CONFLICT;
        if (document && !this.#putDocumentRow(document.name, document.body, document.expectedVersion))
          throw CONFLICT;
        this.#writeRows(record);
        for (const lookup of lookups) {
          this.#sql.exec(
            'INSERT INTO lookups (kind, value, work_item_id) VALUES (?, ?, ?) ON CONFLICT (kind, value) DO UPDATE SET work_item_id = excluded.work_item_id',
            lookup.kind,
            lookup.value,
            record.workItemId,
          );
        }
        for (const delivery of deliveries)
          this.#sql.exec(
            'INSERT INTO deliveries (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at',
            delivery.key,
            delivery.expiresAt,
          );
      });
      return true;
    } catch (error) {
      if (error === CONFLICT) return false;
      throw error;
    }
  }

  listRecords(
    query: { statuses?: readonly WorkItemStatus[]; limit?: number; cursor?: string } = {},
  ): RecordPage {
    const limit = clampLimit(query.limit ?? 100);
    const conditions: string[] = [];
    const bindings: (string | number)[] = [];
    if (query.statuses) {
      if (query.statuses.length === 0) return { records: [] };
      conditions.push(`status IN (${query.statuses.map(() => '?').join(', ')})`);
      bindings.push(...query.statuses);
    }
    if (query.cursor !== undefined) {
      conditions.push('id > ?');
      bindings.push(query.cursor);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = this.#sql
      .exec<RecordRow>(`SELECT id, parts FROM records ${where} ORDER BY id LIMIT ?`, ...bindings, limit + 1)
      .toArray();
    const records = this.#readWithinBudget(rows.slice(0, limit));
    const last = records.at(-1);
    const more = rows.length > records.length;
    return { records, ...(more && last ? { cursor: last.workItemId } : {}) };
  }

  listDue(now: number, limit: number): WorkItemRecord[] {
    const rows = this.#sql
      .exec<RecordRow>(
        'SELECT id, parts FROM records WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at, id LIMIT ?',
        now,
        clampLimit(limit),
      )
      .toArray();
    return this.#readWithinBudget(rows);
  }

  /** The lookup, the record it leads to and a document in one call. */
  find(
    kind: IndexKind,
    value: string,
    documentName: string,
  ): {
    workItemId: string | undefined;
    record: WorkItemRecord | undefined;
    document: { value: unknown; version: number } | undefined;
  } {
    const workItemId = this.getIndex(kind, value);
    if (workItemId === undefined) return { workItemId, record: undefined, document: undefined };
    return { workItemId, ...this.load(workItemId, documentName) };
  }

  getIndex(kind: IndexKind, value: string): string | undefined {
    return this.#sql
      .exec<{ work_item_id: string }>(
        'SELECT work_item_id FROM lookups WHERE kind = ? AND value = ?',
        kind,
        value,
      )
      .toArray()[0]?.work_item_id;
  }

  getDocument(name: string): { value: unknown; version: number } | undefined {
    const row = this.#sql
      .exec<{ version: number; body: string }>('SELECT version, body FROM documents WHERE name = ?', name)
      .toArray()[0];
    return row ? { value: JSON.parse(row.body) as unknown, version: row.version } : undefined;
  }

  /** Serialised by the object: a read and a write in one synchronous transaction. */
  putDocument(name: string, body: string, expectedVersion: number): boolean {
    return this.ctx.storage.transactionSync(() => this.#putDocumentRow(name, body, expectedVersion));
  }

  #putDocumentRow(name: string, body: string, expectedVersion: number): boolean {
    const stored = this.#sql
      .exec<{ version: number }>('SELECT version FROM documents WHERE name = ?', name)
      .toArray()[0];
    if ((stored?.version ?? 0) !== expectedVersion) return false;
    this.#sql.exec(
      'INSERT INTO documents (name, version, body) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, body = excluded.body',
      name,
      expectedVersion + 1,
      body,
    );
    return true;
  }

  rememberEvent(key: string, options: { now: number; expiresAt: number }): EventMemory {
    return this.ctx.storage.transactionSync((): EventMemory => {
      const stored = this.#sql
        .exec<{ expires_at: number }>('SELECT expires_at FROM deliveries WHERE key = ?', key)
        .toArray()[0];
      if (stored && stored.expires_at > options.now) return { fresh: false, expiresAt: stored.expires_at };
      this.#sql.exec(
        'INSERT INTO deliveries (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at',
        key,
        options.expiresAt,
      );
      this.#sql.exec(
        'DELETE FROM deliveries WHERE key IN (SELECT key FROM deliveries WHERE expires_at <= ? AND key <> ? LIMIT ?)',
        options.now,
        key,
        DELIVERY_SWEEP,
      );
      return { fresh: true };
    });
  }

  forgetEvent(key: string): void {
    this.#sql.exec('DELETE FROM deliveries WHERE key = ?', key);
  }

  renewEvent(key: string, options: { now: number; expiresAt: number }): boolean {
    const renewed = this.#sql
      .exec(
        'UPDATE deliveries SET expires_at = ? WHERE key = ? AND expires_at > ? AND expires_at < ? RETURNING key',
        options.expiresAt,
        key,
        options.now,
        options.expiresAt,
      )
      .toArray();
    return renewed.length === 1;
  }

  /** The record's rows; the caller holds the transaction. */
  #writeRows(record: WorkItemRecord): void {
    const parts = encodeRecord(record);
    this.#sql.exec('DELETE FROM record_parts WHERE id = ?', record.workItemId);
    for (const [part, bytes] of parts.entries()) {
      this.#sql.exec(
        'INSERT INTO record_parts (id, part, bytes) VALUES (?, ?, ?)',
        record.workItemId,
        part,
        bytes,
      );
    }
    this.#sql.exec(
      `INSERT INTO records (id, version, status, wake_at, parts) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, status = excluded.status,
         wake_at = excluded.wake_at, parts = excluded.parts`,
      record.workItemId,
      record.version,
      record.status,
      record.wakeAt ?? null,
      parts.length,
    );
  }

  #read(row: RecordRow): { record: WorkItemRecord; bytes: number } {
    const parts = this.#sql
      .exec<{ bytes: ArrayBuffer }>('SELECT bytes FROM record_parts WHERE id = ? ORDER BY part', row.id)
      .toArray()
      .map((part) => part.bytes);
    if (parts.length !== row.parts) {
      throw new Error(`record ${row.id} has ${parts.length} of its ${row.parts} stored parts`);
    }
    return { record: decodeRecord(parts), bytes: parts.reduce((sum, part) => sum + part.byteLength, 0) };
  }

  #readWithinBudget(rows: readonly RecordRow[]): WorkItemRecord[] {
    const records: WorkItemRecord[] = [];
    let bytes = 0;
    for (const row of rows) {
      // Always return at least one record, so a caller paging through always makes progress.
      if (records.length > 0 && bytes >= LIST_BYTE_BUDGET) break;
      const read = this.#read(row);
      records.push(read.record);
      bytes += read.bytes;
    }
    return records;
  }
}

function clampLimit(limit: number): number {
  if (!Number.isFinite(limit)) return MAX_LIST_LIMIT;
  return Math.max(0, Math.min(MAX_LIST_LIMIT, Math.floor(limit)));
}
