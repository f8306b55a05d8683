// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the config names ${DATABASE_URL} literally.
import { join } from 'node:path';
import { SqliteStateStore } from '@software-factory/cli';
import { PostgresStateStore } from '@software-factory/postgres';
import type { StateStore, WorkItemRecord } from '@software-factory/sdk';
import { type PostgresServer, startPostgres } from '../../postgres/test/support/postgres-server.ts';
import { BENCH_TENANT } from './bench-tenant.ts';

export const FACTORY_STORES = ['sqlite', 'postgres'] as const;
export type FactoryStoreKind = (typeof FACTORY_STORES)[number];

/** Where `factory start` processes keep their state, and how the soak reads it back when the run is over. */
export interface FactoryStore {
  /** `stateStore:` of the factories' config. */
  readonly config: Record<string, unknown>;
  /** What every `factory start` needs in its environment for it (the database URL). */
  readonly env: Record<string, string>;
  /** The folder the local fleet keeps its agents in, under the config's folder. */
  readonly agentsDir: string;
  /** Words for the report: `SQLite file`, `Postgres 16 on 127.0.0.1:…`. */
  readonly description: string;
  /** Every work item record of the bench tenant. */
  readRecords(): Promise<WorkItemRecord[]>;
  close(): Promise<void>;
}

/**
 * SQLite: one file beside the config (one process only). Postgres: a real server started for the run
 * (the same one the Postgres tests start: `initdb` into a temporary folder, 127.0.0.1, a free port) and a
 * database of its own, which every replica reaches through `${DATABASE_URL}`.
 */
export async function openFactoryStore(kind: FactoryStoreKind, dir: string): Promise<FactoryStore> {
  if (kind === 'sqlite') {
    const path = join(dir, 'state', 'state.sqlite');
    return {
      config: { type: 'sqlite', path: 'state/state.sqlite' },
      env: {},
      agentsDir: join(dir, 'state', 'fleet', BENCH_TENANT, 'agents'),
      description: 'SQLite file',
      async readRecords() {
        const store = new SqliteStateStore(path);
        try {
          return await allRecords(store);
        } finally {
          store.close();
        }
      },
      async close() {},
    };
  }
  const server: PostgresServer = await startPostgres();
  try {
    const url = await server.freshDatabase();
    return {
      // A small pool per replica: three replicas and the soak's or bench's own reads stay far below the server's limit.
      config: { type: 'postgres', url: '${DATABASE_URL}', poolSize: 6 },
      env: { DATABASE_URL: url },
      // Not beside a SQLite file: a Postgres-backed factory keeps its local fleet in `.factory/`.
      agentsDir: join(dir, '.factory', 'fleet', BENCH_TENANT, 'agents'),
      description: `Postgres on ${server.host}:${server.port}`,
      async readRecords() {
        const store = await PostgresStateStore.open({ url, migrate: false });
        try {
          return await allRecords(store);
        } finally {
          await store.close();
        }
      },
      close: () => server.close(),
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

async function allRecords(store: StateStore): Promise<WorkItemRecord[]> {
  const records: WorkItemRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRecords(BENCH_TENANT, { limit: 500, ...(cursor ? { cursor } : {}) });
    records.push(...page.records);
    cursor = page.cursor;
  } while (cursor);
  return records;
}
