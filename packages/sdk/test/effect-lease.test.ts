import { describe, expect, it } from 'vitest';
import type { WriteOptions } from '../src/ports/connection.ts';
import { DEFAULT_TEST_SETTINGS, FactoryHarness } from '../src/testing/index.ts';

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

  it('stops a write still running at its deadline, and leaves the lease to run out before anyone takes over', async () => {
    // A short lease, so the deadline (the lease less its settle share) passes on the runtime's timer.
    const h = new FactoryHarness({
      tenant: 'acme',
      settings: { ...DEFAULT_TEST_SETTINGS, effectLease: 200 },
    });
    const tracker = h.tracker as unknown as {
      setState: (item: unknown, state: unknown, options: WriteOptions) => Promise<void>;
    };
    const setState = tracker.setState.bind(h.tracker);
    const signals: (AbortSignal | undefined)[] = [];
    let hang = true;
    tracker.setState = async (item, state, options) => {
      signals.push(options.signal);
      if (!hang) return setState(item, state, options);
      hang = false;
      // A vendor that never answers: only the deadline ends the write.
      await new Promise((_, reject) =>
        options.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
      );
    };

    const first = await h.factory.handle(h.changed(h.clearItem('item-1')));
    expect(first.outcome).toBe('incomplete');
    expect(first.error).toContain('set-state failed');
    expect(signals[0]?.aborted).toBe(true);
    const stored = await h.store.getRecord('acme', 'item-1');
    // The lease was not ended early: within its settle margin nobody takes the effects over.
    expect(stored?.leaseUntil).toBe(h.clock.now() + 200);
    await h.factory.handle({ type: 'tick' });
    expect(signals).toHaveLength(1);

    h.clock.advance(201);
    await h.factory.handle({ type: 'tick' });
    expect(signals).toHaveLength(2);
    expect(signals[1]?.aborted).toBe(false);
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
