import { describeStateStoreConformance } from '@software-factory/sdk/testing';
import { afterAll, beforeAll } from 'vitest';
import { PostgresStateStore } from '../src/postgres-state-store.ts';
import { type PostgresServer, startPostgres } from './support/postgres-server.ts';

let server: PostgresServer;
const stores: PostgresStateStore[] = [];

beforeAll(async () => {
  server = await startPostgres();
  const url = await server.freshDatabase();
  // Three stores, each with its own pool, opened together: their migrations take turns under the
  // advisory lock, and the checks below, spread over the three, prove they behave as one store.
  stores.push(...(await Promise.all([1, 2, 3].map(() => PostgresStateStore.open({ url, poolSize: 5 })))));
}, 60_000);

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await server?.close();
});

let next = 0;
describeStateStoreConformance('PostgresStateStore over three pools on one database', () => {
  next += 1;
  return stores[next % stores.length] as PostgresStateStore;
});
