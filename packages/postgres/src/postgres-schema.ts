/** What a migration runs statements on: a pooled connection (one session, so the lock holds across them). */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Each entry moves the schema one version up; its index + 1 is the version it produces. Append, never
 * edit: a database written by an older build replays only the steps it has not seen.
 *
 * Ids are `COLLATE "C"`, so `listRecords` pages in code-point order whatever the database's locale.
 * Bodies are JSON as text, not jsonb: they round-trip exactly, and the store never queries inside them.
 * Times are milliseconds since the epoch, as the port passes them.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE factory_records (
    tenant       text COLLATE "C" NOT NULL,
    work_item_id text COLLATE "C" NOT NULL,
    version      bigint NOT NULL,
    status       text   NOT NULL,
    wake_at      bigint,
    body         text   NOT NULL,
    PRIMARY KEY (tenant, work_item_id)
  );
  CREATE INDEX factory_records_by_status ON factory_records (tenant, status, work_item_id);
  CREATE INDEX factory_records_by_wake_at ON factory_records (tenant, wake_at, work_item_id)
    WHERE wake_at IS NOT NULL;

  CREATE TABLE factory_lookups (
    tenant       text COLLATE "C" NOT NULL,
    kind         text COLLATE "C" NOT NULL,
    value        text COLLATE "C" NOT NULL,
    work_item_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, kind, value)
  );

  CREATE TABLE factory_events (
    tenant     text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (tenant, key)
  );
  -- The periodic purge finds expired rows through this index, never by scanning the table.
  CREATE INDEX factory_events_by_expiry ON factory_events (expires_at);

  CREATE TABLE factory_documents (
    tenant  text COLLATE "C" NOT NULL,
    name    text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    body    text   NOT NULL,
    PRIMARY KEY (tenant, name)
  );
  `,
  `
  -- commit() in one round trip: the record's conditional write, then the document's, then the lookups,
  -- in the one statement that calls it. A record that is not at the expected version writes nothing and
  -- returns false; a document that is not raises FC409, which undoes the record's write with the
  -- statement (the store reads it as false).
  CREATE FUNCTION factory_commit(
    p_tenant text, p_work_item_id text, p_version bigint, p_status text, p_wake_at bigint, p_body text,
    p_expected bigint, p_document_name text, p_document_body text, p_document_expected bigint,
    p_lookup_kinds text[], p_lookup_values text[]
  ) RETURNS boolean LANGUAGE plpgsql AS $$
  DECLARE
    written integer;
  BEGIN
    IF p_expected = 0 THEN
      INSERT INTO factory_records (tenant, work_item_id, version, status, wake_at, body)
        VALUES (p_tenant, p_work_item_id, p_version, p_status, p_wake_at, p_body)
        ON CONFLICT (tenant, work_item_id) DO NOTHING;
    ELSE
      UPDATE factory_records SET version = p_version, status = p_status, wake_at = p_wake_at, body = p_body
        WHERE tenant = p_tenant AND work_item_id = p_work_item_id AND version = p_expected;
    END IF;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF written <> 1 THEN
      RETURN false;
    END IF;
    IF p_document_name IS NOT NULL THEN
      IF p_document_expected = 0 THEN
        INSERT INTO factory_documents (tenant, name, version, body)
          VALUES (p_tenant, p_document_name, 1, p_document_body)
          ON CONFLICT (tenant, name) DO NOTHING;
      ELSE
        UPDATE factory_documents SET version = version + 1, body = p_document_body
          WHERE tenant = p_tenant AND name = p_document_name AND version = p_document_expected;
      END IF;
      GET DIAGNOSTICS written = ROW_COUNT;
      IF written <> 1 THEN
        RAISE EXCEPTION 'document % is not at version %', p_document_name, p_document_expected
          USING ERRCODE = 'FC409';
      END IF;
    END IF;
    IF cardinality(p_lookup_kinds) > 0 THEN
      INSERT INTO factory_lookups (tenant, kind, value, work_item_id)
        SELECT p_tenant, l.kind, l.value, p_work_item_id
          FROM unnest(p_lookup_kinds, p_lookup_values) AS l (kind, value)
        ON CONFLICT (tenant, kind, value) DO UPDATE SET work_item_id = excluded.work_item_id;
    END IF;
    RETURN true;
  END
  $$;
  `,
  `
  -- commit() that also keeps the keys of the delivery that made the change (RecordCommit.deliveries),
  -- in the same statement: with the record or not at all. An overload, so a replica of the previous
  -- build still calls the twelve-argument function during a rolling upgrade.
  CREATE FUNCTION factory_commit(
    p_tenant text, p_work_item_id text, p_version bigint, p_status text, p_wake_at bigint, p_body text,
    p_expected bigint, p_document_name text, p_document_body text, p_document_expected bigint,
    p_lookup_kinds text[], p_lookup_values text[], p_event_keys text[], p_event_expires_at bigint[]
  ) RETURNS boolean LANGUAGE plpgsql AS $$
  BEGIN
    IF NOT factory_commit(p_tenant, p_work_item_id, p_version, p_status, p_wake_at, p_body, p_expected,
        p_document_name, p_document_body, p_document_expected, p_lookup_kinds, p_lookup_values) THEN
      RETURN false;
    END IF;
    INSERT INTO factory_events (tenant, key, expires_at)
      SELECT p_tenant, e.key, e.expires_at
        FROM unnest(p_event_keys, p_event_expires_at) AS e (key, expires_at)
      ON CONFLICT (tenant, key) DO UPDATE SET expires_at = excluded.expires_at;
    RETURN true;
  END
  $$;
  `,
];

export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The advisory lock every replica takes while it migrates: replicas starting together take turns, and
 * the second finds the schema already current. A fixed number (the first bytes of "sw-factory"), so any
 * build of the factory takes the same lock.
 */
export const MIGRATION_LOCK = 0x73772d66616374n;

/** The schema of this database is newer than this build: it refuses to run over it. */
export class SchemaTooNewError extends Error {
  readonly found: number;
  readonly supported: number;
  constructor(found: number, supported: number) {
    super(
      `the database has schema version ${found}, newer than this build of the factory understands (${supported}); run the newer build, or restore a backup taken before it upgraded the schema`,
    );
    this.name = 'SchemaTooNewError';
    this.found = found;
    this.supported = supported;
  }
}

/**
 * Brings the schema to POSTGRES_SCHEMA_VERSION under the migration lock, each step in its own
 * transaction with the row that records it. Returns the version the database is at. The lock is a
 * session lock: released at the end, or with the connection if this process dies while holding it.
 */
export async function migratePostgresSchema(client: Queryable, target = MIGRATIONS.length): Promise<number> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS factory_schema_versions (
         version    integer PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const current = await schemaVersion(client);
    if (current > MIGRATIONS.length) throw new SchemaTooNewError(current, MIGRATIONS.length);
    for (let version = current + 1; version <= target; version++) {
      await client.query('BEGIN');
      try {
        await client.query(MIGRATIONS[version - 1] as string);
        await client.query('INSERT INTO factory_schema_versions (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    return Math.max(current, target);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
  }
}

/** The version the database's schema is at (0: none). */
export async function schemaVersion(client: Queryable): Promise<number> {
  const { rows } = await client.query('SELECT max(version) AS version FROM factory_schema_versions');
  return Number((rows[0] as { version: number | null } | undefined)?.version ?? 0);
}
