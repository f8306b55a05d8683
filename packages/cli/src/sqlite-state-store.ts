import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { ensurePrivateDirectory, ensurePrivateFile, keepPrivate } from '@software-factory/auth';
import {
  type EventMemory,
  errorMessage,
  expectedRecordVersion,
  type FoundRecord,
  type Lookup,
  type RecordAndDocument,
  type RecordCommit,
  type RecordPage,
  type StateStore,
  type TenantDocument,
  type WorkItemRecord,
  type WorkItemStatus,
} from '@software-factory/sdk';
import { migrateSqliteSchema } from './sqlite-schema.ts';

export interface SqliteStateStoreOptions {
  /**
   * How long another process may hold the write lock before an operation gives up, in milliseconds.
   * Every operation is a short transaction, so waiting is normally a few milliseconds.
   */
  busyTimeoutMs?: number;
  /**
   * Expired de-duplication rows are deleted at most this often, measured on the `now` callers pass to
   * `rememberEvent` (the store reads no clock of its own). Expired rows are ignored either way.
   */
  eventPurgeIntervalMs?: number;
  /**
   * At most this long after a write, the write-ahead log is synced to the disk (a passive checkpoint).
   * A commit returns before its sync (`synchronous = NORMAL`), so this bounds what a power loss can
   * take; a crash of the process takes nothing. See sqlite-state-store.md, "What a crash or a power
   * loss can lose".
   */
  syncIntervalMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
const DEFAULT_SYNC_INTERVAL_MS = 1_000;
const DEFAULT_EVENT_PURGE_INTERVAL_MS = 10 * 60_000;
const DEFAULT_PAGE_SIZE = 100;
/** Thrown inside a transaction to undo it without an error: a later condition of a commit failed. */
const ROLLBACK = Symbol('rollback');

/**
 * The StateStore of the local runtime, on Node's built-in SQLite: one file (or `:memory:`) in WAL mode.
 * Every statement that reads and then writes runs in a `BEGIN IMMEDIATE` transaction, so any number of
 * instances, in one process or many, over the same file behave as one store. Records are stored as JSON
 * next to the columns the port queries by (status, wakeAt), and the tenant leads every primary key.
 */
export class SqliteStateStore implements StateStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements: Statements;
  readonly #listStatements = new Map<string, StatementSync>();
  readonly #purgeInterval: number;
  readonly #syncInterval: number;
  #lastPurgeAt = Number.NEGATIVE_INFINITY;
  #syncTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(path: string, options: SqliteStateStoreOptions = {}) {
    this.path = path;
    this.#purgeInterval = options.eventPurgeIntervalMs ?? DEFAULT_EVENT_PURGE_INTERVAL_MS;
    this.#syncInterval = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    if (!Number.isFinite(this.#syncInterval) || this.#syncInterval <= 0)
      throw new RangeError(
        `SqliteStateStore: syncIntervalMs must be a positive number of milliseconds, got ${options.syncIntervalMs}`,
      );
    this.#db = openDatabase(path, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    this.#statements = prepareStatements(this.#db);
  }

  async ping(): Promise<void> {
    this.#live.ping.get();
  }

  async getDocument(tenant: string, name: string): Promise<TenantDocument | undefined> {
    const row = this.#live.getDocument.get(tenant, name);
    if (!row || typeof row.body !== 'string') return undefined;
    return { value: JSON.parse(row.body) as unknown, version: Number(row.version) };
  }

  /** One conditional statement either way: an insert that yields to an existing row, or a versioned update. */
  async putDocument(tenant: string, name: string, value: unknown, expectedVersion: number): Promise<boolean> {
    const body = JSON.stringify(value);
    const result =
      expectedVersion === 0
        ? this.#live.createDocument.run(tenant, name, body)
        : this.#live.updateDocument.run(body, tenant, name, expectedVersion);
    return this.#wrote(Number(result.changes) === 1);
  }

  /** Closes the database (SQLite syncs and checkpoints the log as it closes); later calls reject. Closing twice is harmless. */
  close(): void {
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    if (this.#db.isOpen) this.#db.close();
  }

  async getRecord(tenant: string, workItemId: string): Promise<WorkItemRecord | undefined> {
    const row = this.#live.getRecord.get(tenant, workItemId);
    return row ? parseRecord(row.body) : undefined;
  }

  async load(tenant: string, workItemId: string, documentName: string): Promise<RecordAndDocument> {
    const [record, document] = [
      await this.getRecord(tenant, workItemId),
      await this.getDocument(tenant, documentName),
    ];
    return { record, document };
  }

  /**
   * One `BEGIN IMMEDIATE` transaction: the record's conditional write, the document's, the lookups and
   * the delivery keys kept; a condition that fails rolls back what was written before it.
   */
  async commit(tenant: string, change: RecordCommit): Promise<boolean> {
    const { record, document, lookups = [], deliveries = [] } = change;
    const expected = expectedRecordVersion(record);
    const body = JSON.stringify(record);
    const documentBody = document ? JSON.stringify(document.value) : undefined;
    // A conflict writes nothing, but marking it costs at most one early sync.
    return this.#wrote(
      this.#transaction(() => {
        const written =
          expected === 0
            ? this.#live.createRecord.run(
                tenant,
                record.workItemId,
                record.version,
                record.status,
                record.wakeAt ?? null,
                body,
              )
            : this.#live.updateRecord.run(
                record.version,
                record.status,
                record.wakeAt ?? null,
                body,
                tenant,
                record.workItemId,
                expected,
              );
        if (Number(written.changes) !== 1) return false;
        if (document && documentBody !== undefined) {
          const stored =
            document.expectedVersion === 0
              ? this.#live.createDocument.run(tenant, document.name, documentBody)
              : this.#live.updateDocument.run(documentBody, tenant, document.name, document.expectedVersion);
          if (Number(stored.changes) !== 1) throw ROLLBACK;
        }
        for (const lookup of lookups)
          this.#live.putIndex.run(tenant, lookup.kind, lookup.value, record.workItemId);
        for (const delivery of deliveries) this.#live.keepEvent.run(tenant, delivery.key, delivery.expiresAt);
        return true;
      }, false),
    );
  }

  async listRecords(
    tenant: string,
    query: { statuses?: readonly WorkItemStatus[]; limit?: number; cursor?: string } = {},
  ): Promise<RecordPage> {
    const limit = asLimit(query.limit ?? DEFAULT_PAGE_SIZE, 'listRecords');
    const params: SQLInputValue[] = [tenant];
    if (query.cursor !== undefined) params.push(query.cursor);
    if (query.statuses) params.push(JSON.stringify(query.statuses));
    // One row more than asked tells whether another page follows.
    params.push(limit < 0 ? -1 : limit + 1);
    const statement = this.#listStatement(query.cursor !== undefined, query.statuses !== undefined);
    const records = statement.all(...params).map((row) => parseRecord(row.body));
    if (limit < 0 || records.length <= limit) return { records };
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return last ? { records: page, cursor: last.workItemId } : { records: page };
  }

  async listDue(tenant: string, now: number, limit: number): Promise<WorkItemRecord[]> {
    return this.#live.listDue.all(tenant, now, asLimit(limit, 'listDue')).map((row) => parseRecord(row.body));
  }

  async find(tenant: string, lookup: Lookup, documentName: string): Promise<FoundRecord> {
    const row = this.#live.getIndex.get(tenant, lookup.kind, lookup.value);
    const workItemId = typeof row?.work_item_id === 'string' ? row.work_item_id : undefined;
    if (workItemId === undefined) return { workItemId, record: undefined, document: undefined };
    return { workItemId, ...(await this.load(tenant, workItemId, documentName)) };
  }

  async rememberEvent(
    tenant: string,
    key: string,
    options: { now: number; expiresAt: number },
  ): Promise<EventMemory> {
    return this.#wrote(
      this.#transaction((): EventMemory => {
        if (options.now - this.#lastPurgeAt >= this.#purgeInterval) this.#purge(options.now);
        // Inserts the key, or takes over a row that has expired: an expired row counts as absent.
        const { changes } = this.#live.rememberEvent.run(tenant, key, options.expiresAt, options.now);
        if (Number(changes) === 1) return { fresh: true };
        const live = this.#live.eventExpiry.get(tenant, key);
        return { fresh: false, expiresAt: Number(live?.expires_at ?? options.now) };
      }),
    );
  }

  async forgetEvent(tenant: string, key: string): Promise<void> {
    this.#wrote(this.#live.forgetEvent.run(tenant, key));
  }

  async renewEvent(
    tenant: string,
    key: string,
    options: { now: number; expiresAt: number },
  ): Promise<boolean> {
    const { changes } = this.#wrote(this.#live.renewEvent.run(tenant, key, options.expiresAt, options.now));
    return Number(changes) === 1;
  }

  /** One statement: the key inserted, or its row's expiry overwritten (a claim becomes the memory). */
  async keepEvent(tenant: string, key: string, expiresAt: number): Promise<void> {
    this.#wrote(this.#live.keepEvent.run(tenant, key, expiresAt));
  }

  /** Deletes every event row (of any tenant) expired at `now`; returns how many. */
  purgeExpiredEvents(now: number): number {
    return this.#wrote(this.#transaction(() => this.#purge(now)));
  }

  /** The prepared statements, or a clear error once the store is closed. */
  get #live(): Statements {
    this.#assertOpen();
    return this.#statements;
  }

  #assertOpen(): void {
    if (!this.#db.isOpen) throw new Error(`SqliteStateStore: ${this.path} is closed`);
  }

  /**
   * Called after every write: makes sure the log is synced within the sync interval. One timer at a time,
   * unref'd so it never keeps the process alive; a burst of writes costs one sync, not one each.
   */
  #wrote<T>(result: T): T {
    if (this.#syncTimer === undefined) {
      this.#syncTimer = setTimeout(() => this.#sync(), this.#syncInterval);
      this.#syncTimer.unref?.();
    }
    return result;
  }

  /**
   * A passive checkpoint: syncs the log, copies what no reader still needs into the database file and
   * syncs that, without waiting for anyone. What a reader still pins stays in the (synced) log.
   */
  #sync(): void {
    this.#syncTimer = undefined;
    if (!this.#db.isOpen) return;
    try {
      this.#db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    } catch {
      // Another process holds the checkpoint lock, or the disk failed: the next write schedules
      // another sync, and a failing disk fails that write itself.
    }
  }

  #purge(now: number): number {
    this.#lastPurgeAt = now;
    return Number(this.#live.purgeEvents.run(now).changes);
  }

  /** Runs `work` in one IMMEDIATE transaction; `work` throwing ROLLBACK undoes it and returns `rolledBack`. */
  #transaction<T>(work: () => T, rolledBack?: T): T {
    this.#assertOpen();
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      if (error === ROLLBACK && rolledBack !== undefined) return rolledBack;
      throw error;
    }
  }

  #listStatement(withCursor: boolean, withStatuses: boolean): StatementSync {
    this.#assertOpen();
    const name = `${withCursor}:${withStatuses}`;
    let statement = this.#listStatements.get(name);
    if (!statement) {
      statement = this.#db.prepare(
        [
          'SELECT body FROM records WHERE tenant = ?',
          withCursor ? 'AND work_item_id > ?' : '',
          withStatuses ? 'AND status IN (SELECT value FROM json_each(?))' : '',
          'ORDER BY work_item_id LIMIT ?',
        ].join(' '),
      );
      this.#listStatements.set(name, statement);
    }
    return statement;
  }
}

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: DatabaseSync) {
  return {
    ping: db.prepare('SELECT 1'),
    getRecord: db.prepare('SELECT body FROM records WHERE tenant = ? AND work_item_id = ?'),
    createRecord: db.prepare(
      `INSERT INTO records (tenant, work_item_id, version, status, wake_at, body) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant, work_item_id) DO NOTHING`,
    ),
    updateRecord: db.prepare(
      `UPDATE records SET version = ?, status = ?, wake_at = ?, body = ?
       WHERE tenant = ? AND work_item_id = ? AND version = ?`,
    ),
    listDue: db.prepare(
      `SELECT body FROM records WHERE tenant = ? AND wake_at IS NOT NULL AND wake_at <= ?
       ORDER BY wake_at, work_item_id LIMIT ?`,
    ),
    putIndex: db.prepare(
      `INSERT INTO lookups (tenant, kind, value, work_item_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant, kind, value) DO UPDATE SET work_item_id = excluded.work_item_id`,
    ),
    getIndex: db.prepare('SELECT work_item_id FROM lookups WHERE tenant = ? AND kind = ? AND value = ?'),
    rememberEvent: db.prepare(
      `INSERT INTO events (tenant, key, expires_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (tenant, key) DO UPDATE SET expires_at = excluded.expires_at WHERE events.expires_at <= ?4`,
    ),
    keepEvent: db.prepare(
      `INSERT INTO events (tenant, key, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (tenant, key) DO UPDATE SET expires_at = excluded.expires_at`,
    ),
    renewEvent: db.prepare(
      'UPDATE events SET expires_at = ?3 WHERE tenant = ?1 AND key = ?2 AND expires_at > ?4 AND expires_at < ?3',
    ),
    eventExpiry: db.prepare('SELECT expires_at FROM events WHERE tenant = ? AND key = ?'),
    forgetEvent: db.prepare('DELETE FROM events WHERE tenant = ? AND key = ?'),
    purgeEvents: db.prepare('DELETE FROM events WHERE expires_at <= ?'),
    getDocument: db.prepare('SELECT version, body FROM documents WHERE tenant = ? AND name = ?'),
    createDocument: db.prepare(
      `INSERT INTO documents (tenant, name, version, body) VALUES (?, ?, 1, ?)
       ON CONFLICT (tenant, name) DO NOTHING`,
    ),
    updateDocument: db.prepare(
      'UPDATE documents SET version = version + 1, body = ? WHERE tenant = ? AND name = ? AND version = ?',
    ),
  };
}

/**
 * The file holds work-item text and answers: it is made 0600 in a 0700 folder before SQLite opens it.
 * SQLite creates a new database with 0644 (less the umask), but gives its `-wal`, `-shm` and journal the
 * database file's own mode, so creating the file first with 0600 makes them private too, whatever the
 * umask, without touching the process-wide umask (which other code and threads share). A `-wal` or
 * `-shm` left wider by an earlier version is tightened once the database is open.
 */
function openDatabase(path: string, busyTimeoutMs: number): DatabaseSync {
  let db: DatabaseSync | undefined;
  const isFile = path !== ':memory:' && !path.startsWith('file:');
  try {
    if (isFile) {
      ensurePrivateDirectory(dirname(path));
      ensurePrivateFile(path);
    }
    db = new DatabaseSync(path, { timeout: busyTimeoutMs });
    db.exec('PRAGMA journal_mode = WAL');
    // NORMAL: a commit is in the log (the OS's page cache) when it returns, so a crash of the process
    // loses nothing; the log reaches the disk at the next checkpoint, at most the sync interval later.
    // FULL synced every commit: one fsync per write on the event loop, 3–5× fewer deliveries a second
    // through `factory start` (measured with `npm run bench -- --only http`).
    db.exec('PRAGMA synchronous = NORMAL');
    migrateSqliteSchema(db);
    if (isFile) for (const suffix of ['-wal', '-shm', '-journal']) keepPrivate(`${path}${suffix}`);
    return db;
  } catch (error) {
    if (db?.isOpen) db.close();
    const reason = errorMessage(error);
    throw new Error(`SqliteStateStore: cannot open ${path}: ${reason.replace(/\s+/g, ' ')}`);
  }
}

function parseRecord(body: unknown): WorkItemRecord {
  if (typeof body !== 'string') throw new Error('SqliteStateStore: a stored record is not text');
  return JSON.parse(body) as WorkItemRecord;
}

/** SQLite reads a negative LIMIT as "no limit" and rejects a fraction; the port means neither. */
function asLimit(limit: number, method: string): number {
  if (limit === Number.POSITIVE_INFINITY) return -1;
  if (!Number.isFinite(limit)) throw new RangeError(`SqliteStateStore.${method}: limit must be a number`);
  return Math.max(0, Math.floor(limit));
}
