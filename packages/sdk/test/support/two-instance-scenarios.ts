import { expect, it } from 'vitest';
import { createFactory, type StateStore } from '../../src/index.ts';
import { DEFAULT_TEST_SETTINGS, FactoryHarness, queuedIn, slotsIn } from '../../src/testing/index.ts';

/**
 * The core's scenarios for two factory instances over one store, each with its own store object (its
 * own client or pool) on the same table or database: what two Lambdas, or several `factory start`
 * replicas, are. Only the store's conditional writes keep them from both acting. Every durable store
 * registers them inside its own `describe`, with `open` giving a new store object on the shared backing.
 */
export function twoInstanceScenarios(open: () => StateStore | Promise<StateStore>): void {
  async function twoInstances(tenant: string, settings = DEFAULT_TEST_SETTINGS) {
    const one = new FactoryHarness({ tenant, settings, store: await open() });
    // Same fakes, but its own store object on the same backing store.
    const two = createFactory({
      tenant,
      settings: one.factory.settings,
      ports: { ...one.factory.ports, store: await open() },
    });
    return { one, two };
  }

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
}
