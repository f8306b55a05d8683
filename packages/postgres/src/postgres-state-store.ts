import {
  expectedRecordVersion,
  type StateStore,
  type Store,
  type WorkItemRecord,
} from '@software-factory/sdk';
import pg from 'pg';
import {
  type ConnectionTarget,
  connectionTarget,
  describeTarget,
  type PostgresConnectionOptions,
  redactConnection,
} from './connection-options.ts';
import { poolConfig } from './pool-config.ts';
import {
  migratePostgresSchema,
  POSTGRES_SCHEMA_VERSION,
  SchemaTooNewError,
  schemaVersion,
} from './postgres-schema.ts';

export interface PostgresStateStoreOptions extends PostgresConnectionOptions {
  /**
   * Expired de-duplication rows are deleted at most this often (default 10 min), measured on the `now`
   * callers pass to `rememberEvent` (the store reads no clock of its own). Expired rows are ignored
   * either way; the purge only keeps the table small.
   */
  eventPurgeIntervalMs?: number;
  /** The most expired rows one purge deletes (default 1,000), so no purge holds locks for long. */
  eventPurgeBatch?: number;
  /**
   * False: connect and check the schema without changing it (`factory check`); a missing schema is not
   * an error then, a newer one still is. Default true: bring it up to date.
   */
  migrate?: boolean;
  /** Told when an idle pooled connection fails (the server restarted, the network dropped it). */
  onConnectionError?: (message: string) => void;
}

const DEFAULT_PAGE_SIZE = 100;
/** The SQLSTATE `factory_commit` raises when the document is not at the expected version. */
const DOCUMENT_CONFLICT = 'FC409';
const DEFAULT_EVENT_PURGE_INTERVAL_MS = 10 * 60_000;
const DEFAULT_EVENT_PURGE_BATCH = 1_000;

/**
 * The StateStore on PostgreSQL, through a bounded node-postgres pool. Every conditional write is one
 * statement the server decides (`INSERT … ON CONFLICT`, `UPDATE … WHERE version = $n`), `commit` too
 * (`factory_commit`), so any number of processes over one database behave as one store. Records are
 * stored as JSON next to the columns the port queries by (status, wake_at); the tenant leads every key.
 *
 * Open it with `PostgresStateStore.open`, which migrates the schema (under an advisory lock) first.
 */
export class PostgresStateStore implements StateStore {
  readonly target: ConnectionTarget;
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #purgeInterval: number;
  readonly #purgeBatch: number;
  #lastPurgeAt = Number.NEGATIVE_INFINITY;
  #purging: Promise<void> | undefined;
  #closed = false;

  /**
   * Connects, brings the schema up to date and returns the store. Rejects with a message that names
   * the server (host:port/database), never the URL's password: the server cannot be reached, refuses
   * the login, or holds a schema newer than this build understands.
   */
  static async open(options: PostgresStateStoreOptions): Promise<PostgresStateStore> {
    const store = new PostgresStateStore(options);
    try {
      if (options.migrate === false) {
        const found = await store.schemaVersion();
        if (found > POSTGRES_SCHEMA_VERSION) throw new SchemaTooNewError(found, POSTGRES_SCHEMA_VERSION);
      } else await store.migrate();
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  private constructor(options: PostgresStateStoreOptions) {
    this.#url = options.url;
    this.target = connectionTarget(options.url);
    this.#purgeInterval = options.eventPurgeIntervalMs ?? DEFAULT_EVENT_PURGE_INTERVAL_MS;
    this.#purgeBatch = options.eventPurgeBatch ?? DEFAULT_EVENT_PURGE_BATCH;
    this.#pool = new pg.Pool(poolConfig(options));
    // An idle connection that breaks (the server restarted) must not crash the process: the pool drops
    // it and opens a new one for the next query.
    this.#pool.on('error', (error) => options.onConnectionError?.(this.#describe(error)));
  }

  /** Applies the migrations this build has and the database lacks; returns the schema version. */
  async migrate(): Promise<number> {
    const client = await this.#connect();
    try {
      const version = await migratePostgresSchema(client);
      client.release();
      return version;
    } catch (error) {
      // Destroyed, not returned to the pool: the connection may still hold the migration lock.
      client.release(true);
      throw this.#failure(error);
    }
  }

  /** The version of the schema in the database (0: none yet), for `factory check`. */
  async schemaVersion(): Promise<number> {
    const { rows } = await this.#query<{ present: boolean }>(
      `SELECT to_regclass('factory_schema_versions') IS NOT NULL AS present`,
    );
    if (!rows[0]?.present) return 0;
    return schemaVersion({ query: (text: string) => this.#query(text) });
  }

  /** The schema version this build writes. */
  get supportedSchemaVersion(): number {
    return POSTGRES_SCHEMA_VERSION;
  }

  /** Waits for a purge in flight and closes every connection. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#purging;
    await this.#pool.end();
  }

  async ping(): Promise<void> {
    await this.#query('SELECT 1');
  }

  async getRecord(tenant: string, workItemId: string): Promise<WorkItemRecord | undefined> {
    const { rows } = await this.#query<{ body: string }>(
      'SELECT body FROM factory_records WHERE tenant = $1 AND work_item_id = $2',
      [tenant, workItemId],
    );
    return rows[0] ? parseRecord(rows[0].body) : undefined;
  }

  /** One statement: the record and the document side by side, either absent. */
  async load(tenant: string, workItemId: string, documentName: string): Promise<Store.RecordAndDocument> {
    const { rows } = await this.#query<JoinedRow>(
      `SELECT r.body AS record, d.version AS document_version, d.body AS document
         FROM (SELECT 1) AS one
         LEFT JOIN factory_records r ON r.tenant = $1 AND r.work_item_id = $2
         LEFT JOIN factory_documents d ON d.tenant = $1 AND d.name = $3`,
      [tenant, workItemId, documentName],
    );
    return joined(rows[0]);
  }

  /**
   * One statement either way. Alone, the record's conditional write; with a document, lookups or the
   * delivery keys to keep, a call of `factory_commit` (the schema's second migration; the third adds the
   * keys), which writes the record, then the document, then the lookups (and the keys), and undoes the
   * record's write when the document's condition fails. Every commit locks
   * rows in that order (lookups sorted), so two commits never wait on each other in a cycle.
   */
  async commit(tenant: string, change: Store.RecordCommit): Promise<boolean> {
    const { record, document, lookups = [], deliveries = [] } = change;
    const expected = expectedRecordVersion(record);
    if (!document && lookups.length === 0 && deliveries.length === 0)
      return (await this.#query(...writeRecord(tenant, record, expected))).rowCount === 1;
    const sorted = distinctSorted(lookups);
    const kept = [...new Map(deliveries.map((delivery) => [delivery.key, delivery])).values()];
    try {
      const { rows } = await this.#query<{ stored: boolean }>(
        kept.length > 0
          ? 'SELECT factory_commit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) AS stored'
          : 'SELECT factory_commit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) AS stored',
        [
          tenant,
          record.workItemId,
          record.version,
          record.status,
          record.wakeAt ?? null,
          JSON.stringify(record),
          expected,
          document?.name ?? null,
          document ? JSON.stringify(document.value) : null,
          document?.expectedVersion ?? null,
          sorted.map((lookup) => lookup.kind),
          sorted.map((lookup) => lookup.value),
          ...(kept.length > 0
            ? [kept.map((delivery) => delivery.key), kept.map((delivery) => delivery.expiresAt)]
            : []),
        ],
      );
      return rows[0]?.stored === true;
    } catch (error) {
      if (error instanceof PostgresStoreError && error.code === DOCUMENT_CONFLICT) return false;
      // Whether a commit whose connection broke landed is unknown; the caller's retry finds out through
      // the version (a commit that did land makes the retry's compare-and-set fail).
      throw error;
    }
  }

  async listRecords(tenant: string, query: Store.RecordQuery = {}): Promise<Store.RecordPage> {
    const limit = asLimit(query.limit ?? DEFAULT_PAGE_SIZE, 'listRecords');
    // Only the conditions asked for, so each shape gets a plan that uses the index for it.
    const values: unknown[] = [tenant];
    const where = ['tenant = $1'];
    if (query.cursor !== undefined) where.push(`work_item_id > $${values.push(query.cursor)}`);
    if (query.statuses) where.push(`status = ANY($${values.push([...query.statuses])})`);
    // One row more than asked tells whether another page follows.
    const { rows } = await this.#query<{ body: string }>(
      `SELECT body FROM factory_records WHERE ${where.join(' AND ')}
        ORDER BY work_item_id LIMIT $${values.push(limit === null ? null : limit + 1)}`,
      values,
    );
    const records = rows.map((row) => parseRecord(row.body));
    if (limit === null || records.length <= limit) return { records };
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return last ? { records: page, cursor: last.workItemId } : { records: page };
  }

  async listDue(tenant: string, now: number, limit: number): Promise<WorkItemRecord[]> {
    const { rows } = await this.#query<{ body: string }>(
      `SELECT body FROM factory_records
        WHERE tenant = $1 AND wake_at IS NOT NULL AND wake_at <= $2
        ORDER BY wake_at, work_item_id LIMIT $3`,
      [tenant, now, asLimit(limit, 'listDue')],
    );
    return rows.map((row) => parseRecord(row.body));
  }

  /** One statement: the lookup, the record it leads to and the document. */
  async find(tenant: string, lookup: Store.Lookup, documentName: string): Promise<Store.FoundRecord> {
    const { rows } = await this.#query<JoinedRow & { work_item_id: string | null }>(
      `SELECT l.work_item_id, r.body AS record, d.version AS document_version, d.body AS document
         FROM factory_lookups l
         LEFT JOIN factory_records r ON r.tenant = l.tenant AND r.work_item_id = l.work_item_id
         LEFT JOIN factory_documents d ON d.tenant = l.tenant AND d.name = $4
        WHERE l.tenant = $1 AND l.kind = $2 AND l.value = $3`,
      [tenant, lookup.kind, lookup.value, documentName],
    );
    const row = rows[0];
    if (!row?.work_item_id) return { workItemId: undefined, record: undefined, document: undefined };
    return { workItemId: row.work_item_id, ...joined(row) };
  }

  /** One statement: inserts the key, or takes over a row that has expired (an expired row counts as absent). */
  async rememberEvent(tenant: string, key: string, options: Store.EventTimes): Promise<Store.EventMemory> {
    if (options.now - this.#lastPurgeAt >= this.#purgeInterval) this.#purgeInBackground(options.now);
    // The outer SELECT reads the snapshot the statement started from: the live row's expiry when the
    // insert yielded to it.
    const { rows } = await this.#query<{ fresh: boolean; expires_at: string | null }>(
      `WITH claimed AS (
         INSERT INTO factory_events (tenant, key, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant, key) DO UPDATE SET expires_at = excluded.expires_at
           WHERE factory_events.expires_at <= $4
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM claimed) AS fresh,
              (SELECT expires_at FROM factory_events WHERE tenant = $1 AND key = $2) AS expires_at`,
      [tenant, key, options.expiresAt, options.now],
    );
    const row = rows[0];
    if (row?.fresh) return { fresh: true };
    return { fresh: false, expiresAt: Number(row?.expires_at ?? options.now) };
  }

  async forgetEvent(tenant: string, key: string): Promise<void> {
    await this.#query('DELETE FROM factory_events WHERE tenant = $1 AND key = $2', [tenant, key]);
  }

  async renewEvent(tenant: string, key: string, options: Store.EventTimes): Promise<boolean> {
    const { rowCount } = await this.#query(
      `UPDATE factory_events SET expires_at = $3
        WHERE tenant = $1 AND key = $2 AND expires_at > $4 AND expires_at < $3`,
      [tenant, key, options.expiresAt, options.now],
    );
    return rowCount === 1;
  }

  /**
   * Deletes at most one batch of event rows (of any tenant) expired at `now`, found through the expiry
   * index; returns how many. Several replicas purging at once skip each other's rows.
   */
  async purgeExpiredEvents(now: number, batch = this.#purgeBatch): Promise<number> {
    const { rowCount } = await this.#query(
      `DELETE FROM factory_events WHERE ctid IN (
         SELECT ctid FROM factory_events WHERE expires_at <= $1
          ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [now, batch],
    );
    return rowCount ?? 0;
  }

  async getDocument(tenant: string, name: string): Promise<Store.TenantDocument | undefined> {
    const { rows } = await this.#query<{ version: string; body: string }>(
      'SELECT version, body FROM factory_documents WHERE tenant = $1 AND name = $2',
      [tenant, name],
    );
    const row = rows[0];
    return row ? { value: JSON.parse(row.body) as unknown, version: Number(row.version) } : undefined;
  }

  /** One conditional statement either way: an insert that yields to an existing row, or a versioned update. */
  async putDocument(tenant: string, name: string, value: unknown, expectedVersion: number): Promise<boolean> {
    return (await this.#query(...writeDocument(tenant, name, value, expectedVersion))).rowCount === 1;
  }

  /** Off the request's path: a failed purge is tried again at the next interval. */
  #purgeInBackground(now: number): void {
    if (this.#purging || this.#closed) return;
    this.#lastPurgeAt = now;
    this.#purging = this.purgeExpiredEvents(now)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.#purging = undefined;
      });
  }

  async #query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<Row>> {
    if (this.#closed) throw new Error(`PostgresStateStore (${describeTarget(this.target)}) is closed`);
    try {
      return await this.#pool.query<Row>(text, values);
    } catch (error) {
      throw this.#failure(error);
    }
  }

  async #connect(): Promise<pg.PoolClient> {
    if (this.#closed) throw new Error(`PostgresStateStore (${describeTarget(this.target)}) is closed`);
    try {
      return await this.#pool.connect();
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /** An error that names the server and what went wrong, with no trace of the URL or its password. */
  #failure(error: unknown): Error {
    if (error instanceof SchemaTooNewError || error instanceof PostgresStoreError) return error;
    const code = (error as { code?: unknown }).code;
    return new PostgresStoreError(
      `PostgresStateStore (${describeTarget(this.target)}): ${this.#describe(error)}`,
      typeof code === 'string' ? code : undefined,
    );
  }

  #describe(error: unknown): string {
    return redactConnection(messageOf(error), this.#url);
  }
}

/** A failed operation: the server and the reason in words, and the SQLSTATE or Node's error code. */
export class PostgresStoreError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'PostgresStoreError';
    this.code = code;
  }
}

interface JoinedRow {
  record: string | null;
  document_version: string | null;
  document: string | null;
}

function joined(row: JoinedRow | undefined): Store.RecordAndDocument {
  return {
    record: row?.record ? parseRecord(row.record) : undefined,
    document:
      row?.document != null
        ? { value: JSON.parse(row.document) as unknown, version: Number(row.document_version) }
        : undefined,
  };
}

type Statement = [text: string, values: unknown[]];

function writeRecord(tenant: string, record: WorkItemRecord, expected: number): Statement {
  const body = JSON.stringify(record);
  if (expected === 0)
    return [
      `INSERT INTO factory_records (tenant, work_item_id, version, status, wake_at, body)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, work_item_id) DO NOTHING`,
      [tenant, record.workItemId, record.version, record.status, record.wakeAt ?? null, body],
    ];
  return [
    `UPDATE factory_records SET version = $3, status = $4, wake_at = $5, body = $6
      WHERE tenant = $1 AND work_item_id = $2 AND version = $7`,
    [tenant, record.workItemId, record.version, record.status, record.wakeAt ?? null, body, expected],
  ];
}

function writeDocument(tenant: string, name: string, value: unknown, expectedVersion: number): Statement {
  const body = JSON.stringify(value);
  if (expectedVersion === 0)
    return [
      `INSERT INTO factory_documents (tenant, name, version, body) VALUES ($1, $2, 1, $3)
       ON CONFLICT (tenant, name) DO NOTHING`,
      [tenant, name, body],
    ];
  return [
    `UPDATE factory_documents SET version = version + 1, body = $3
      WHERE tenant = $1 AND name = $2 AND version = $4`,
    [tenant, name, body, expectedVersion],
  ];
}

function parseRecord(body: string): WorkItemRecord {
  return JSON.parse(body) as WorkItemRecord;
}

/**
 * Each lookup once (one statement may not upsert a row twice), in a fixed order every process agrees on
 * (UTF-16 code units), so concurrent commits lock their lookups in the same order.
 */
function distinctSorted(lookups: readonly Store.Lookup[]): Store.Lookup[] {
  const byKey = new Map(lookups.map((lookup) => [`${lookup.kind}\u0000${lookup.value}`, lookup]));
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, lookup]) => lookup);
}

/** null: no limit. A fraction is rounded down, a negative count is none. */
function asLimit(limit: number, method: string): number | null {
  if (limit === Number.POSITIVE_INFINITY) return null;
  if (!Number.isFinite(limit)) throw new RangeError(`PostgresStateStore.${method}: limit must be a number`);
  return Math.max(0, Math.floor(limit));
}

/** Node's connection errors to "localhost" are an AggregateError with an empty message: its parts say it. */
function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.message === '')
    return [...new Set(error.errors.map(messageOf))].join('; ');
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}
