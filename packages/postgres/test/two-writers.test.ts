import { afterAll, beforeAll, describe, it } from 'vitest';
import { twoInstanceScenarios } from '../../sdk/test/support/two-instance-scenarios.ts';
import { checkTwoWriterInvariants } from '../../sdk/test/support/two-writer-property.ts';
import { PostgresStateStore } from '../src/postgres-state-store.ts';
import { type PostgresServer, startPostgres } from './support/postgres-server.ts';

/**
 * Two factory instances, each with its own store object and pool, over one database: what several
 * `factory start` replicas are. Only the database's conditional writes keep them from both acting.
 */
let server: PostgresServer;
let url: string;
const opened: PostgresStateStore[] = [];

beforeAll(async () => {
  server = await startPostgres();
  url = await server.freshDatabase();
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await server?.close();
});

async function open(): Promise<PostgresStateStore> {
  const store = await PostgresStateStore.open({ url, poolSize: 5 });
  opened.push(store);
  return store;
}

describe("the core's two-instance scenarios on PostgresStateStore", () => {
  twoInstanceScenarios(open);
});

describe('random event sequences with faults keep the invariants on PostgreSQL', () => {
  let run = 0;
  it('1 at most one agent per run and attempt; 2 nothing lost; 3 never more than maxInFlight running; 4 tenants apart', async () => {
    const store = await open();
    await checkTwoWriterInvariants(async () => {
      run += 1;
      return { store, tenants: [`property-a-${run}`, `property-b-${run}`] };
    }, 100);
  }, 300_000);
});
