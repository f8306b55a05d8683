import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStateStore, type PostgresStateStoreOptions } from '../src/postgres-state-store.ts';
import { type PostgresServer, startPostgres } from './support/postgres-server.ts';

let server: PostgresServer;
const opened: PostgresStateStore[] = [];

beforeAll(async () => {
  server = await startPostgres({ tls: true });
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await server?.close();
});

async function open(options: Omit<PostgresStateStoreOptions, 'url'>, url = server.url()) {
  const store = await PostgresStateStore.open({ url, ...options });
  opened.push(store);
  return store;
}

/** Whether the store's own connection is encrypted, as the server sees it. */
async function encrypted(store: PostgresStateStore): Promise<boolean> {
  // The store's pool is private; its application name tells its sessions apart from this probe's.
  const probe = new pg.Client({ connectionString: server.url(), ssl: { ca: server.ca as string } });
  await probe.connect();
  try {
    await store.ping();
    const { rows } = await probe.query(
      `SELECT bool_and(s.ssl) AS all_tls, count(*)::int AS n FROM pg_stat_ssl s
         JOIN pg_stat_activity a ON a.pid = s.pid WHERE a.application_name = 'software-factory'`,
    );
    expect(rows[0].n).toBeGreaterThan(0);
    return rows[0].all_tls as boolean;
  } finally {
    await probe.end();
  }
}

describe('TLS to the database', () => {
  it('verify-full with the CA that signed the server: connects, encrypted', async () => {
    const store = await open({ ssl: 'verify-full', ca: server.ca as string });
    expect(await encrypted(store)).toBe(true);
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('verify-full without that CA: refused, a certificate the system does not trust', async () => {
    await expect(open({ ssl: 'verify-full' })).rejects.toThrow(
      /^PostgresStateStore \(127\.0\.0\.1:\d+\/postgres\): unable to verify the first certificate/,
    );
  });

  it('verify-full to a name the certificate is not for: refused', async () => {
    const byName = server.url().replace('127.0.0.1', 'localhost');
    await expect(open({ ssl: 'verify-full', ca: server.ca as string }, byName)).rejects.toThrow(
      /Hostname\/IP does not match certificate's altnames/,
    );
  });

  it('require: encrypted without checking the certificate; an sslmode in the URL gives way to it', async () => {
    const store = await open({ ssl: 'require' }, `${server.url()}?sslmode=disable`);
    expect(await encrypted(store)).toBe(true);
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('disable: plain TCP', async () => {
    const store = await open({ ssl: 'disable' });
    expect(await encrypted(store)).toBe(false);
  });
});
