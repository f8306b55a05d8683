import { describe, expect, it } from 'vitest';
import { LISTING_LAG_MS } from '../src/pipeline/queue-refill.ts';
import { QUEUE_HEAD } from '../src/pipeline/schedule.ts';
import { FactoryHarness, storedSchedule } from '../src/testing/index.ts';

const settings = {
  limits: { maxInFlight: 1 },
  routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
};

/** Ids that sort in arrival order, so a line of items queued in the same millisecond keeps it. */
const idOf = (n: number) => `item-${String(n).padStart(5, '0')}`;

describe('a line longer than the schedule names', () => {
  const count = QUEUE_HEAD + 300;

  it('names only the head of the line, so the schedule stays small however long the line grows', async () => {
    const h = new FactoryHarness({ settings });
    for (let n = 0; n < count; n++) await h.factory.handle(h.changed(h.clearItem(idOf(n))));
    const schedule = await storedSchedule(h.store, h.tenant);
    // One dispatched, the next QUEUE_HEAD named in order, the rest left out (and marked so).
    expect(schedule.queue.map((entry) => entry.workItemId)).toEqual(
      Array.from({ length: QUEUE_HEAD }, (_, n) => idOf(n + 1)),
    );
    expect(schedule.leftOut).toBe(h.clock.now());
    expect(JSON.stringify(schedule).length).toBeLessThan(100 * 1024);
    expect(await h.status(idOf(count - 1))).toBe('queued');
  });

  it('dispatches every item once, in arrival order, refilling the head from the records as it runs short', async () => {
    const h = new FactoryHarness({ settings });
    const items = Array.from({ length: count }, (_, n) => h.clearItem(idOf(n)));
    for (const item of items) await h.factory.handle(h.changed(item));
    h.clock.advance(LISTING_LAG_MS);
    for (const [n, item] of items.entries()) {
      expect(await h.status(item.id), item.id).toBe('dispatched');
      await h.factory.handle(h.output(item, 'ready', n + 1));
      expect(await h.status(item.id), item.id).toBe('done');
    }
    expect(h.fleet.spawnCalls).toBe(count);
    expect(h.fleet.peakRunning).toBe(1);
    const schedule = await storedSchedule(h.store, h.tenant);
    expect(schedule.queue).toEqual([]);
    // The records showed nothing left out, long enough after the last was: the mark is gone.
    expect(schedule.leftOut).toBeUndefined();
  });

  it('an item arriving later waits behind the items left out, whatever its id', async () => {
    const h = new FactoryHarness({ settings });
    const items = Array.from({ length: count }, (_, n) => h.clearItem(idOf(n)));
    for (const item of items) await h.factory.handle(h.changed(item));
    h.clock.advance(1);
    const late = h.clearItem('aaa-late');
    await h.factory.handle(h.changed(late));
    // It sorts first by id but arrived last: it is queued after the items left out, not named in the head.
    expect(await h.status(late.id)).toBe('queued');
    expect(
      (await storedSchedule(h.store, h.tenant)).queue.some((entry) => entry.workItemId === late.id),
    ).toBe(false);
  });
});
