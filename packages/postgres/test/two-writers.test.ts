import { createFactory } from '@software-factory/sdk';
import { DEFAULT_TEST_SETTINGS, FactoryHarness, queuedIn, slotsIn } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

async function twoInstances(tenant: string, settings = DEFAULT_TEST_SETTINGS) {
  const one = new FactoryHarness({ tenant, settings, store: await open() });
  // Same fakes, but its own store object and pool on the same database.
  const two = createFactory({
    tenant,
    settings: one.factory.settings,
    ports: { ...one.factory.ports, store: await open() },
  });
  return { one, two };
}

describe("the core's two-instance scenarios on PostgresStateStore", () => {
  it('racing deliveries spawn once, and the second instance sees what the first did', async () => {
    const { one, two } = await twoInstances('scenario-race');
    const event = one.changed(one.clearItem('item-1'));
    await Promise.all(Array.from({ length: 25 }, (_, n) => (n % 2 ? one.factory : two).handle(event)));
    expect(one.fleet.agents.size).toBe(1);
    expect(one.fleet.spawnCalls).toBe(1);
    const done = await two.handle(one.output(one.tracker.items.get('item-1') as never, 'ready'));
    expect(done.transitions.map((t) => t.to)).toEqual(['done']);
    expect(await one.status('item-1')).toBe('done');
  });

  it('never run more agents than maxInFlight when many items race across instances', async () => {
    const { one, two } = await twoInstances('scenario-limit', {
      ...DEFAULT_TEST_SETTINGS,
      limits: { maxInFlight: 3 },
    });
    const items = Array.from({ length: 8 }, (_, n) => one.clearItem(`item-${n + 1}`));
    await Promise.all(
      items.flatMap((item) => [one.factory.handle(one.changed(item)), two.handle(one.changed(item))]),
    );
    expect(one.fleet.running()).toHaveLength(3);
    expect(await slotsIn(one.store, one.tenant, 'tenant')).toHaveLength(3);
    for (const [n, item] of items.entries()) {
      await Promise.all([
        one.factory.handle(one.output(item, 'ready', n + 1)),
        two.handle(one.output(item, 'ready', n + 1)),
      ]);
      expect(one.fleet.running().length).toBeLessThanOrEqual(3);
    }
    await one.factory.handle({ type: 'tick' });
    for (const [n, item] of items.entries()) await two.handle(one.output(item, 'ready', n + 1));
    expect(one.fleet.peakRunning).toBe(3);
    const statuses = await Promise.all(items.map((item) => one.status(item.id)));
    expect(statuses.every((status) => status === 'done')).toBe(true);
    expect(one.fleet.agents.size).toBe(8);
    expect(await queuedIn(one.store, one.tenant)).toEqual([]);
  });

  it('ticks on both instances at once, over items whose leases ran out, start each agent once', async () => {
    const { one, two } = await twoInstances('scenario-tick', {
      ...DEFAULT_TEST_SETTINGS,
      limits: { maxInFlight: 2 },
    });
    const items = Array.from({ length: 5 }, (_, n) => one.clearItem(`item-${n + 1}`));
    for (const item of items) await one.factory.handle(one.changed(item));
    // Two running, three queued; the agents finish and the ticks on both instances move the queue.
    for (const [n, item] of items.slice(0, 2).entries()) await two.handle(one.output(item, 'ready', n + 1));
    one.clock.advance(10 * 60_000);
    await Promise.all([one.factory.handle({ type: 'tick' }), two.handle({ type: 'tick' })]);
    expect(one.fleet.running().length).toBeLessThanOrEqual(2);
    const keys = [...one.fleet.agents.values()].map((agent) => agent.request.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
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
