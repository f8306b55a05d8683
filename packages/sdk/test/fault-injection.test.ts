import { describe, expect, it } from 'vitest';
import type { FactoryEvent, WorkItem } from '../src/index.ts';
import { FactoryHarness, FaultInjector, type FaultMode, queuedIn, slotsIn } from '../src/testing/index.ts';

const SETTINGS = {
  routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
  limits: { maxInFlight: 1 },
  retry: { maxAttempts: 1 },
};
const LEASE = 30_000;

/**
 * Delivers like a webhook sender: an event that throws or comes back incomplete is delivered again a
 * little later (after the crashed handler's lease has run out), up to a bound.
 */
async function deliver(h: FactoryHarness, event: FactoryEvent): Promise<void> {
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      const result = await h.factory.handle(event);
      if (result.outcome !== 'incomplete') return;
    } catch {
      // the sender sees a 5xx and retries
    }
    h.clock.advance(LEASE + 1);
  }
}

/** Runs the tick until nothing changes, as the cron would. */
async function settle(h: FactoryHarness): Promise<void> {
  for (let n = 0; n < 6; n++) {
    h.clock.advance(LEASE + 1);
    try {
      await h.factory.handle({ type: 'tick' });
    } catch {
      // the next tick tries again
    }
  }
}

const ANSWER = 'Print the rows as JSON when --json is given. Done when each row is one JSON object.';

/** Three items through every kind of step: clear, vague (asked and answered), and one queued. */
async function scenario(h: FactoryHarness): Promise<WorkItem[]> {
  const clear = h.clearItem('item-1');
  const vague = h.vagueItem('item-2');
  const queued = h.clearItem('item-3');
  for (const item of [clear, vague, queued]) await deliver(h, h.changed(item));
  await settle(h);
  const thread = h.chat.threadFor('item-2');
  if (thread)
    await deliver(h, {
      type: 'clarification.replied',
      threadId: thread,
      messageId: 'm-1',
      author: { id: 'ana', trusted: true, reason: 'a member of the channel' },
      text: ANSWER,
    });
  await settle(h);
  // Each agent opens its pull request once it runs, and marks it ready: whichever order they started in.
  const items = [clear, vague, queued];
  for (let round = 0; round < 6; round++) {
    for (const [n, item] of items.entries()) {
      if (h.fleet.agentsFor(item.id).length > 0 && (await h.status(item.id)) === 'dispatched') {
        await deliver(h, h.output(item, 'ready', n + 1));
        await settle(h);
      }
    }
  }
  return items;
}

async function expectConverged(h: FactoryHarness, label: string): Promise<void> {
  for (const id of ['item-1', 'item-2', 'item-3']) {
    const record = await h.record(id);
    expect(record?.status, `${label}: ${id}`).toBe('done');
    expect(record?.pending, `${label}: ${id} has unfinished effects`).toEqual([]);
    expect(h.fleet.agentsFor(id), `${label}: agents of ${id}`).toHaveLength(1);
    const comments = h.tracker.commentsFor(id);
    expect(
      comments.filter((body) => body.startsWith('An agent')),
      `${label}: dispatch comments of ${id}`,
    ).toHaveLength(1);
    expect(
      comments.filter((body) => body.startsWith('Done')),
      `${label}: done comments of ${id}`,
    ).toHaveLength(1);
  }
  expect(h.fleet.peakRunning, label).toBeLessThanOrEqual(1);
  expect(h.fleet.running(), label).toEqual([]);
  expect(await slotsIn(h.store, h.tenant, 'tenant'), label).toEqual([]);
  expect(await queuedIn(h.store, h.tenant), label).toEqual([]);
  expect(h.chat.threads.size, label).toBe(1);
}

describe('fault injection: every port call fails in turn, before and after its side effect', () => {
  it('the scenario converges without faults (the baseline the faults are counted against)', async () => {
    const faults = new FaultInjector();
    const h = new FactoryHarness({ settings: SETTINGS, faults });
    await scenario(h);
    await expectConverged(h, 'no fault');
    expect(faults.calls).toBeGreaterThan(100);
  });

  it('converges with no duplicate spawn and nothing lost, whichever call fails', async () => {
    const baseline = new FaultInjector();
    await scenario(new FactoryHarness({ settings: SETTINGS, faults: baseline }));
    const modes: FaultMode[] = ['before', 'after'];
    let injected = 0;
    for (let at = 1; at <= baseline.calls; at++) {
      for (const mode of modes) {
        const faults = new FaultInjector();
        faults.failAt(at, mode);
        const h = new FactoryHarness({ settings: SETTINGS, faults });
        await scenario(h);
        const label = `call ${at} (${baseline.log[at - 1]}) failing ${mode}`;
        await expectConverged(h, label);
        injected++;
      }
    }
    expect(injected).toBe(baseline.calls * 2);
  }, 300_000);
});
