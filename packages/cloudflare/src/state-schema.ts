/**
 * The tables of one tenant's Durable Object. The object is the tenant, so no key carries a tenant id.
 * Every statement is idempotent: the object runs them all each time it starts.
 */
export const STATE_SCHEMA: readonly string[] = [
  // A record's JSON lives in `record_parts` (see record-codec.ts); these columns are what queries filter on.
  `CREATE TABLE IF NOT EXISTS records (
     id TEXT PRIMARY KEY,
     version INTEGER NOT NULL,
     status TEXT NOT NULL,
     wake_at INTEGER,
     parts INTEGER NOT NULL
   )`,
  'CREATE INDEX IF NOT EXISTS records_by_status ON records (status, id)',
  'CREATE INDEX IF NOT EXISTS records_by_wake ON records (wake_at, id) WHERE wake_at IS NOT NULL',
  `CREATE TABLE IF NOT EXISTS record_parts (
     id TEXT NOT NULL,
     part INTEGER NOT NULL,
     bytes BLOB NOT NULL,
     PRIMARY KEY (id, part)
   )`,
  `CREATE TABLE IF NOT EXISTS lookups (
     kind TEXT NOT NULL,
     value TEXT NOT NULL,
     work_item_id TEXT NOT NULL,
     PRIMARY KEY (kind, value)
   )`,
  'CREATE TABLE IF NOT EXISTS deliveries (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)',
  'CREATE INDEX IF NOT EXISTS deliveries_by_expiry ON deliveries (expires_at)',
  `CREATE TABLE IF NOT EXISTS documents (
     name TEXT PRIMARY KEY,
     version INTEGER NOT NULL,
     body TEXT NOT NULL
   )`,
  // The queue and the slots live in the tenant's scheduling document (built from the records when it
  // is absent); an object started by an older build drops its tables.
  'DROP TABLE IF EXISTS queue',
  'DROP TABLE IF EXISTS slots',
];
