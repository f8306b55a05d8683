import { createFactory } from '@software-factory/sdk';
import {
  DEFAULT_TEST_SETTINGS,
  FactoryHarness,
  FakeClock,
  queuedIn,
  slotsIn,
} from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore } from '../src/dynamo-state-store.ts';
import { deployInstance, WEBHOOK_SECRET } from './support/deployment.ts';
import { asFunctionUrlEvent, asHttpApiEvent } from './support/lambda-events.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';
import { signTestWebhook } from './support/signed-test-source.ts';

let dynamo: LocalDynamo;
let tableName: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable();
});
afterAll(() => dynamo.close());

describe('two Lambda instances on one table behave as one', () => {
  it('the same work item delivered 20 times at once, across both, spawns exactly one agent', async () => {
    const clock = new FakeClock();
    // Each instance has its own SDK client, store, factory and fleet: only the table is shared, so
    // only the table's conditional writes can keep them from both dispatching.
    const one = deployInstance({ dynamo, tableName, clock, tenants: [{ id: 'race' }] });
    const two = deployInstance({ dynamo, tableName, clock, tenants: [{ id: 'race' }] });
    const item = one.harness('race').clearItem('item-1');
    two.harness('race').tracker.items.set(item.id, item);

    const deliveries = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        // Half reuse one delivery id (a sender's redelivery), half carry new ones (a Linear-style retry).
        const body = JSON.stringify({ deliveryId: n % 2 ? 'delivery-same' : `delivery-${n}`, item });
        const headers = await signTestWebhook(WEBHOOK_SECRET, body, clock.now());
        const wrap = n % 4 < 2 ? asHttpApiEvent : asFunctionUrlEvent;
        return {
          instance: n % 2 ? two : one,
          event: wrap({ method: 'POST', path: '/t/race/webhooks/test', headers, body }),
        };
      }),
    );
    const results = await Promise.all(deliveries.map(({ instance, event }) => instance.handlers.http(event)));

    expect(results.map((result) => result.statusCode).every((status) => status === 200)).toBe(true);
    const fleets = [one.harness('race').fleet, two.harness('race').fleet];
    expect(fleets.reduce((agents, fleet) => agents + fleet.agents.size, 0)).toBe(1);
    expect(fleets.reduce((calls, fleet) => calls + fleet.spawnCalls, 0)).toBe(1);
    const record = await one.store.getRecord('race', 'item-1');
    expect(record?.status).toBe('dispatched');
    expect(record?.history.filter((entry) => entry.to === 'dispatched')).toHaveLength(1);
    const statuses = results.map((result) => (JSON.parse(result.body) as { status: string }).status);
    expect(statuses.filter((status) => status === 'duplicate').length).toBeGreaterThanOrEqual(9);
  });
});

describe("the core's two-instance scenarios on DynamoStateStore", () => {
  const twoInstances = (tenant: string, settings = DEFAULT_TEST_SETTINGS) => {
    const one = new FactoryHarness({
      tenant,
      settings,
      store: new DynamoStateStore({ tableName, client: dynamo.client() }),
    });
    // Same fakes, but its own store object and SDK client on the same table.
    const two = createFactory({
      tenant,
      settings: one.factory.settings,
      ports: { ...one.factory.ports, store: new DynamoStateStore({ tableName, client: dynamo.client() }) },
    });
    return { one, two };
  };

  it('racing deliveries spawn once, and the second instance sees what the first did', async () => {
    const { one, two } = twoInstances('scenario-race');
    const event = one.changed(one.clearItem('item-1'));
    await Promise.all(Array.from({ length: 25 }, (_, n) => (n % 2 ? one.factory : two).handle(event)));
    expect(one.fleet.agents.size).toBe(1);
    expect(one.fleet.spawnCalls).toBe(1);
    const done = await two.handle(one.output(one.tracker.items.get('item-1') as never, 'ready'));
    expect(done.transitions.map((t) => t.to)).toEqual(['done']);
    expect(await one.status('item-1')).toBe('done');
  });

  it('never run more agents than maxInFlight when many items race across instances', async () => {
    const { one, two } = twoInstances('scenario-limit', {
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
});
