import { sampleRecord } from '@software-factory/sdk/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgresSchema, POSTGRES_SCHEMA_VERSION } from '../src/postgres-schema.ts';
import { PostgresStateStore, type PostgresStateStoreOptions } from '../src/postgres-state-store.ts';
import { type PostgresServer, startPostgres } from './support/postgres-server.ts';

let server: PostgresServer;
const opened: PostgresStateStore[] = [];

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await server?.close();
});

async function open(options: PostgresStateStoreOptions): Promise<PostgresStateStore> {
  const store = await PostgresStateStore.open(options);
  opened.push(store);
  return store;
}

/** A plain client on `url`, closed when `body` is done. */
async function withClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('the schema is migrated at start-up, once, whoever starts first', () => {
  it('ten replicas opening a new database together leave one schema at the current version', async () => {
    const url = await server.freshDatabase();
    const stores = await Promise.all(Array.from({ length: 10 }, () => open({ url, poolSize: 2 })));
    expect(await Promise.all(stores.map((store) => store.schemaVersion()))).toEqual(
      Array(10).fill(POSTGRES_SCHEMA_VERSION),
    );
    const applied = await withClient(url, async (client) =>
      (await client.query('SELECT version FROM factory_schema_versions ORDER BY version')).rows.map(
        (row) => row.version as number,
      ),
    );
    expect(applied).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, n) => n + 1));
  });

  it('a database whose schema is newer than this build is refused, saying why, and left as it was', async () => {
    const url = await server.freshDatabase();
    await (await open({ url })).close();
    await withClient(url, (client) =>
      client.query('INSERT INTO factory_schema_versions (version) VALUES ($1)', [
        POSTGRES_SCHEMA_VERSION + 1,
      ]),
    );
    const error = await rejection(PostgresStateStore.open({ url }));
    expect(error.message).toBe(
      `the database has schema version ${POSTGRES_SCHEMA_VERSION + 1}, newer than this build of the factory understands (${POSTGRES_SCHEMA_VERSION}); run the newer build, or restore a backup taken before it upgraded the schema`,
    );
    // The refusal released the migration lock with its connection: the next start is not stuck.
    await withClient(url, async (client) => {
      await client.query('DELETE FROM factory_schema_versions WHERE version > $1', [POSTGRES_SCHEMA_VERSION]);
    });
    expect(await (await open({ url })).schemaVersion()).toBe(POSTGRES_SCHEMA_VERSION);
  });
});

describe('migrations are versioned and replayed from where a database stands', () => {
  it('a database an older build left at version 1 is brought to the current version, keeping its rows', async () => {
    const url = await server.freshDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const client = await pool.connect();
    try {
      expect(await migratePostgresSchema(client, 1)).toBe(1);
      await client.query(
        `INSERT INTO factory_records (tenant, work_item_id, version, status, body) VALUES ('t', 'w-1', 1, 'new', $1)`,
        [JSON.stringify(sampleRecord('w-1'))],
      );
    } finally {
      client.release();
      await pool.end();
    }
    const store = await open({ url });
    expect(await store.schemaVersion()).toBe(POSTGRES_SCHEMA_VERSION);
    expect((await store.getRecord('t', 'w-1'))?.workItemId).toBe('w-1');
    // The commit of a record with its document and lookups, which the later migration made one call.
    const next = sampleRecord('w-1', { version: 2 });
    const stored = await store.commit('t', {
      record: next,
      document: { name: 'schedule', value: { queue: [] }, expectedVersion: 0 },
      lookups: [
        { kind: 'thread', value: 'th-1' },
        { kind: 'thread', value: 'th-1' },
        { kind: 'agent', value: 'a-1' },
      ],
    });
    expect(stored).toBe(true);
    expect((await store.find('t', { kind: 'thread', value: 'th-1' }, 'schedule')).record).toEqual(next);
  });
});

describe('errors name the server, never the password', () => {
  it('an unreachable server: the error names host:port/database, not the URL or its password', async () => {
    const url = `postgres://factory:s3cret-pass@127.0.0.1:1/state`;
    const error = await rejection(PostgresStateStore.open({ url, connectTimeoutMs: 2_000 }));
    expect(error.message).toMatch(
      /^PostgresStateStore \(127\.0\.0\.1:1\/state\): connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
    expect(error.message).not.toContain('s3cret-pass');
    expect(JSON.stringify(error)).not.toContain('s3cret-pass');
  });

  it('a wrong password: refused login, the password nowhere in the message', async () => {
    const url = server.url().replace(server.password, 'wrong-password-123');
    const error = await rejection(PostgresStateStore.open({ url }));
    expect(error.message).toContain(`(127.0.0.1:${server.port}/postgres)`);
    expect(error.message).toContain('password authentication failed for user "factory"');
    expect(error.message).not.toContain('wrong-password-123');
    expect(error.message).not.toContain(server.password);
  });

  it('a URL that is not a postgres URL is refused without repeating it', async () => {
    const error = await rejection(PostgresStateStore.open({ url: 'mysql://root:hunter2@db/state' }));
    expect(error.message).toBe(
      'the database URL starts with mysql://, expected postgres:// (postgres://user:password@host:port/database)',
    );
  });

  it.each([
    ['poolSize', 0],
    ['connectTimeoutMs', -1],
    ['statementTimeoutMs', 1.5],
    ['idleTimeoutMs', Number.NaN],
  ] as const)('%s %s is refused before connecting', async (field, value) => {
    const error = await rejection(PostgresStateStore.open({ url: server.url(), [field]: value }));
    expect(error.message).toBe(
      `PostgresStateStore: ${field} must be a whole number of at least 1, got ${value}`,
    );
  });
});

describe('the pool is bounded', () => {
  it('fifty concurrent reads through a pool of 3 open at most 3 connections, and all succeed', async () => {
    const url = await server.freshDatabase();
    const store = await open({ url, poolSize: 3 });
    await store.commit('t', { record: sampleRecord('w-1') });
    const database = new URL(url).pathname.slice(1);
    let peak = 0;
    const count = () =>
      withClient(server.url(), async (client) => {
        const { rows } = await client.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'software-factory'`,
          [database],
        );
        peak = Math.max(peak, rows[0].n as number);
      });
    const reads = Array.from({ length: 50 }, () => store.getRecord('t', 'w-1'));
    await count();
    const records = await Promise.all(reads);
    await count();
    expect(records.every((record) => record?.workItemId === 'w-1')).toBe(true);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
  });
});

describe('expired deliveries are cleaned in bounded batches, through the expiry index', () => {
  it('a purge deletes at most one batch of expired rows, never a live one', async () => {
    const url = await server.freshDatabase();
    const store = await open({ url, eventPurgeBatch: 4 });
    for (let n = 0; n < 10; n++) await store.rememberEvent('t', `old-${n}`, { now: 0, expiresAt: 100 });
    await store.rememberEvent('t', 'live', { now: 0, expiresAt: 10_000 });
    expect(await store.purgeExpiredEvents(500)).toBe(4);
    expect(await store.purgeExpiredEvents(500)).toBe(4);
    expect(await store.purgeExpiredEvents(500)).toBe(2);
    expect(await store.purgeExpiredEvents(500)).toBe(0);
    // The live key is still remembered.
    expect((await store.rememberEvent('t', 'live', { now: 500, expiresAt: 20_000 })).fresh).toBe(false);
  });

  it('the purge finds expired rows through the index on expires_at, not by reading the table', async () => {
    const url = await server.freshDatabase();
    await open({ url });
    const plan = await withClient(url, async (client) => {
      // On a small table the planner would rightly read it whole; forbid that to see what it can use.
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query(
        `EXPLAIN SELECT ctid FROM factory_events WHERE expires_at <= 500 ORDER BY expires_at LIMIT 1000`,
      );
      return rows.map((row) => row['QUERY PLAN'] as string).join('\n');
    });
    expect(plan).toContain('factory_events_by_expiry');
  });

  it('remembering a delivery starts a purge once per interval, measured on the callers\u2019 clock', async () => {
    const url = await server.freshDatabase();
    const store = await open({ url, eventPurgeIntervalMs: 1_000 });
    for (let n = 0; n < 5; n++) await store.rememberEvent('t', `old-${n}`, { now: 0, expiresAt: 100 });
    const remaining = () =>
      withClient(url, async (client) =>
        Number((await client.query('SELECT count(*) AS n FROM factory_events')).rows[0].n),
      );
    // The first call purged at now=0 (nothing expired); within the interval no purge runs.
    await store.rememberEvent('t', 'a', { now: 500, expiresAt: 10_000 });
    await store.close(); // waits for a purge in flight, if any
    expect(await remaining()).toBe(6);
    const again = await open({ url, eventPurgeIntervalMs: 1_000 });
    await again.rememberEvent('t', 'b', { now: 2_000, expiresAt: 10_000 });
    await again.close();
    expect(await remaining()).toBe(2);
  });
});

describe('the database going away and coming back', () => {
  it('operations fail with a clear error while it is down, and the same store works again when it returns', async () => {
    const url = await server.freshDatabase();
    const store = await open({ url, connectTimeoutMs: 1_000 });
    await store.commit('t', { record: sampleRecord('w-1') });
    await server.stop();
    try {
      const down = await rejection(store.ping());
      expect(down.message).toMatch(new RegExp(`^PostgresStateStore \\(127\\.0\\.0\\.1:${server.port}/`));
      expect(down.message).not.toContain(server.password);
      await expect(store.commit('t', { record: sampleRecord('w-2') })).rejects.toThrow(/PostgresStateStore/);
    } finally {
      await server.start();
    }
    // The pool dropped its broken connections and opens new ones.
    let recovered = false;
    for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
      recovered = await store.ping().then(
        () => true,
        () => false,
      );
    }
    expect(recovered).toBe(true);
    expect((await store.getRecord('t', 'w-1'))?.workItemId).toBe('w-1');
    expect(await store.getRecord('t', 'w-2')).toBeUndefined();
    expect(await store.commit('t', { record: sampleRecord('w-2') })).toBe(true);
  });
});
