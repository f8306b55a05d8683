import type { DatabaseSync } from 'node:sqlite';

/**
 * Each entry moves the schema one version up; the array index + 1 is the version it produces. Append,
 * never edit: a database written by an older build replays only the steps it has not seen.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE records (
    tenant       TEXT    NOT NULL,
    work_item_id TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    wake_at      INTEGER,
    body         TEXT    NOT NULL,
    PRIMARY KEY (tenant, work_item_id)
  ) WITHOUT ROWID;
  CREATE INDEX records_by_status ON records (tenant, status, work_item_id);
  CREATE INDEX records_by_wake_at ON records (tenant, wake_at, work_item_id) WHERE wake_at IS NOT NULL;

  CREATE TABLE lookups (
    tenant       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    work_item_id TEXT NOT NULL,
    PRIMARY KEY (tenant, kind, value)
  ) WITHOUT ROWID;

  CREATE TABLE events (
    tenant     TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, key)
  ) WITHOUT ROWID;
  CREATE INDEX events_by_expiry ON events (expires_at);

  CREATE TABLE queue (
    tenant       TEXT    NOT NULL,
    enqueued_at  INTEGER NOT NULL,
    work_item_id TEXT    NOT NULL,
    PRIMARY KEY (tenant, enqueued_at, work_item_id)
  ) WITHOUT ROWID;

  CREATE TABLE slots (
    tenant      TEXT    NOT NULL,
    pool        TEXT    NOT NULL,
    holder      TEXT    NOT NULL,
    acquired_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, pool, holder)
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE documents (
    tenant  TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    version INTEGER NOT NULL,
    body    TEXT    NOT NULL,
    PRIMARY KEY (tenant, name)
  ) WITHOUT ROWID;
  `,
  // The queue and the slots live in each tenant's scheduling document, written with the records; a
  // tenant whose document is absent has it built from its records, which hold all of it.
  `
  DROP TABLE queue;
  DROP TABLE slots;
  `,
];

export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema to SQLITE_SCHEMA_VERSION inside one IMMEDIATE transaction, so two processes opening
 * a new file at once do not both create it. Refuses a file written by a newer build.
 */
export function migrateSqliteSchema(db: DatabaseSync): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = db.prepare('SELECT max(version) AS version FROM schema_version').get();
    const current = typeof row?.version === 'number' ? row.version : 0;
    if (current > SQLITE_SCHEMA_VERSION) {
      throw new Error(
        `the database has schema version ${current}, newer than this build understands (${SQLITE_SCHEMA_VERSION})`,
      );
    }
    for (let version = current + 1; version <= SQLITE_SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version - 1] as string);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(version);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
