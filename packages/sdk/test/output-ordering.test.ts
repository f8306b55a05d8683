import { describe, expect, it } from 'vitest';
import { DEFAULT_TEST_SETTINGS, FactoryHarness } from '../src/testing/index.ts';

const RETRY = { maxAttempts: 3, backoff: 60_000 };

/** An item dispatched once, whose first output was closed; the tick has dispatched attempt 2. */
async function redispatched(options: { reconcile?: boolean } = {}) {
  const h = new FactoryHarness({
    settings: {
      ...DEFAULT_TEST_SETTINGS,
      retry: RETRY,
      ...(options.reconcile ? { reconcile: { outputs: true } } : {}),
    },
  });
  const item = h.clearItem('item-1');
  await h.factory.handle(h.changed(item));
  const ready = h.output(item, 'ready');
  h.clock.advance(1_000);
  const closed = h.output(item, 'closed');
  const failed = await h.factory.handle(closed);
  expect(failed.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→queued']);
  h.clock.advance(RETRY.backoff + 1);
  const tick = await h.factory.handle({ type: 'tick' });
  expect(tick.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['queued→dispatched']);
  expect((await h.record('item-1'))?.dispatch?.attempt).toBe(2);
  return { h, item, ready, closed };
}

async function expectAttemptTwoRunning(h: FactoryHarness) {
  const record = await h.record('item-1');
  expect(record?.status).toBe('dispatched');
  expect(record?.attempts).toBe(2);
  const agents = h.fleet.agentsFor('item-1');
  expect(agents).toHaveLength(2);
  expect(h.fleet.agents.get(agents[1] as string)?.released).toBe(false);
}

describe('output events act only on the attempt they are about, newest first', () => {
  it('a replayed old `closed` after a re-dispatch leaves the new attempt dispatched', async () => {
    const { h, closed } = await redispatched();
    const before = await h.record('item-1');
    const replay = await h.factory.handle(closed);
    expect(replay.outcome).toBe('ignored');
    expect(replay.reason).toMatch(/stale output event: acme\/app#1 closed .* is not newer than the closed/);
    await expectAttemptTwoRunning(h);
    expect(await h.record('item-1')).toEqual(before);
  });

  it('the same `closed` replayed by a source that gives no update time is still not this attempt’s', async () => {
    const { h, closed } = await redispatched();
    const { updatedAt: _dropped, ...untimed } = closed.output;
    const replay = await h.factory.handle({ type: 'output.changed', output: untimed });
    expect(replay.outcome).toBe('ignored');
    expect(replay.reason).toBe(
      'acme/app#1 was closed for an earlier attempt (run 1, attempt 1), not this one',
    );
    await expectAttemptTwoRunning(h);
  });

  it('a later change of a pull request closed for an earlier attempt (still closed) does not touch the new one', async () => {
    const { h, item } = await redispatched();
    h.clock.advance(1_000);
    const edited = await h.factory.handle(h.output(item, 'closed'));
    expect(edited.outcome).toBe('ignored');
    expect(edited.reason).toMatch(/was closed for an earlier attempt/);
    await expectAttemptTwoRunning(h);
  });

  it('an older `ready` delivered after a newer `closed` is ignored', async () => {
    const { h, ready } = await redispatched();
    const late = await h.factory.handle(ready);
    expect(late.outcome).toBe('ignored');
    expect(late.reason).toMatch(
      /^stale output event: acme\/app#1 ready at \S+ is not newer than the closed at \S+ already applied$/,
    );
    await expectAttemptTwoRunning(h);
    expect(h.tracker.states.map((s) => s.state)).not.toContain('done');
  });

  it('the pull request reopened by the new attempt (a newer change) completes it', async () => {
    const { h, item } = await redispatched();
    h.clock.advance(1_000);
    const reopened = await h.factory.handle(h.output(item, 'ready'));
    expect(reopened.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
  });

  it('an event about a pull request from another branch is ignored, even if its title names the item', async () => {
    const h = new FactoryHarness();
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    const before = await h.record('item-1');
    const other = h.output(item, 'ready', 9, { branch: 'feature/someone-else' });
    expect(other.output.title).toContain(item.key);
    const result = await h.factory.handle(other);
    expect(result.outcome).toBe('ignored');
    expect(result.reason).toBe(
      "acme/app#9 is on branch feature/someone-else, not on the attempt's branch factory/eng-1",
    );
    expect(await h.record('item-1')).toEqual(before);
    const closedElsewhere = await h.factory.handle(h.output(item, 'closed', 9, { branch: 'main' }));
    expect(closedElsewhere.outcome).toBe('ignored');
    expect(await h.status('item-1')).toBe('dispatched');
  });

  it('with completion on merge, an older `draft` after a newer `ready` does not take the review marker off', async () => {
    const h = new FactoryHarness({ settings: { ...DEFAULT_TEST_SETTINGS, completion: { on: 'merged' } } });
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    const draft = h.output(item, 'draft');
    await h.factory.handle(h.output(item, 'ready'));
    expect(h.tracker.states.map((s) => s.state)).toEqual(['dispatched', 'needs-review']);
    const late = await h.factory.handle(draft);
    expect(late.outcome).toBe('ignored');
    expect(late.reason).toMatch(/^stale output event: acme\/app#1 draft/);
    expect(h.tracker.states.map((s) => s.state)).toEqual(['dispatched', 'needs-review']);
    // A real change back to draft still counts.
    await h.factory.handle(h.output(item, 'draft'));
    expect(h.tracker.states.map((s) => s.state)).toEqual(['dispatched', 'needs-review', 'dispatched']);
  });

  it('a newer event in the same state keeps its time, so an older change delivered after it is stale', async () => {
    const h = new FactoryHarness({ settings: { ...DEFAULT_TEST_SETTINGS, completion: { on: 'merged' } } });
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    await h.factory.handle(h.output(item, 'ready'));
    const draft = h.output(item, 'draft');
    const pushed = await h.factory.handle(h.output(item, 'ready'));
    expect(pushed.outcome).toBe('changed');
    expect(pushed.effects).toEqual([]);
    expect(pushed.reason).toMatch(/^output still ready at /);
    expect((await h.factory.handle(draft)).reason).toMatch(/^stale output event/);
    expect(h.tracker.states.map((s) => s.state)).toEqual(['dispatched', 'needs-review']);
  });

  it('at one update time (whole seconds), draft then ready completes; ready then draft does not undo it', async () => {
    const at = '2026-01-01T00:00:05Z';
    const h = new FactoryHarness({ settings: { ...DEFAULT_TEST_SETTINGS, completion: { on: 'merged' } } });
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    await h.factory.handle(h.output(item, 'draft', 1, { updatedAt: at }));
    const ready = await h.factory.handle(h.output(item, 'ready', 1, { updatedAt: at }));
    expect(ready.reason).toBe('output is ready: marked for review; waiting for it to be merged');
    const draftAgain = await h.factory.handle(h.output(item, 'draft', 1, { updatedAt: at }));
    expect(draftAgain.reason).toMatch(/^stale output event/);
    const merged = await h.factory.handle(h.output(item, 'merged', 1, { updatedAt: at }));
    expect(merged.transitions.map((t) => t.to)).toEqual(['done']);
  });

  it('the tick’s reconciliation does not fail a new attempt with a pull request closed before it was dispatched', async () => {
    const h = new FactoryHarness({
      settings: { ...DEFAULT_TEST_SETTINGS, retry: RETRY, reconcile: { outputs: true } },
    });
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    const [agent] = h.fleet.agentsFor('item-1');
    h.fleet.exit(agent as string, 1);
    await h.factory.handle({
      type: 'agent.exited',
      agentId: agent as string,
      outcome: 'failed',
      exitCode: 1,
    });
    // Closed while the item waited for its retry: the event found nothing to act on.
    const closedWhileQueued = await h.factory.handle(h.output(item, 'closed'));
    expect(closedWhileQueued.reason).toBe('the item is queued');
    h.clock.advance(RETRY.backoff + 1);
    await h.factory.handle({ type: 'tick' });
    expect((await h.record('item-1'))?.dispatch?.attempt).toBe(2);
    const reconciled = await h.factory.handle({ type: 'tick' });
    expect(reconciled.transitions).toEqual([]);
    await expectAttemptTwoRunning(h);
  });

  it('a merged pull request of an earlier run does not complete the next run', async () => {
    const h = new FactoryHarness();
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    const merged = h.output(item, 'merged');
    await h.factory.handle(merged);
    expect(await h.status('item-1')).toBe('done');
    await h.factory.handle(h.changed(h.edit(item, { state: 'todo', title: 'Also support --csv' })));
    const record = await h.record('item-1');
    expect([record?.status, record?.run]).toEqual(['dispatched', 2]);
    expect((await h.factory.handle(merged)).outcome).toBe('ignored');
    h.clock.advance(1_000);
    const edited = await h.factory.handle(h.output(item, 'merged'));
    expect(edited.reason).toBe(
      'acme/app#1 was merged for an earlier attempt (run 1, attempt 1), not this one',
    );
    expect(await h.status('item-1')).toBe('dispatched');
  });
});
