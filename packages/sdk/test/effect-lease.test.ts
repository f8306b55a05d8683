import { describe, expect, it } from 'vitest';
import { FactoryHarness } from '../src/testing/index.ts';

// Past its lease, a record's pending effects may be taken over by another performer (the tick does once
// `effectLease` is up), which starts at the first effect not recorded done. A performer whose lease ran
// out while it worked must not start another effect: the two would both do it (two comments, two agents).

describe('a performer whose effect lease runs out while it works', () => {
  it('starts no further effect, records what it did, and leaves the rest to the next tick, done once', async () => {
    const h = new FactoryHarness({ tenant: 'acme' });
    const lease = h.factory.settings.effectLease;
    // The dispatch's first effect (set-state) answers only after the lease has run out.
    const tracker = h.tracker as unknown as { setState: (...args: unknown[]) => Promise<unknown> };
    const setState = tracker.setState.bind(h.tracker);
    let slow = true;
    tracker.setState = async (...args) => {
      if (slow) h.clock.advance(lease + 1);
      slow = false;
      return setState(...args);
    };

    const first = await h.factory.handle(h.changed(h.clearItem('item-1')));
    expect(first.outcome).toBe('incomplete');
    expect(first.error).toContain('the effect lease ran out before spawn');
    expect(h.fleet.spawnCalls).toBe(0);
    const stored = await h.store.getRecord('acme', 'item-1');
    expect(stored?.pending.map((effect) => effect.kind)).toEqual(['spawn', 'comment']);

    const tick = await h.factory.handle({ type: 'tick' });
    expect(tick.outcome).not.toBe('incomplete');
    await h.factory.handle({ type: 'tick' });
    expect(h.fleet.spawnCalls).toBe(1);
    expect((await h.store.getRecord('acme', 'item-1'))?.pending).toEqual([]);
  });

  it('goes through every effect while its lease holds', async () => {
    const h = new FactoryHarness({ tenant: 'acme' });
    const result = await h.factory.handle(h.changed(h.clearItem('item-1')));
    expect(result.outcome).toBe('changed');
    expect(h.fleet.spawnCalls).toBe(1);
    expect((await h.store.getRecord('acme', 'item-1'))?.pending).toEqual([]);
  });
});
