import { describe, expect, it } from 'vitest';
import { traceIdFor } from '../src/index.ts';
import { FactoryHarness, FaultInjector } from '../src/testing/index.ts';
import { harness, stage } from './support.ts';

describe('writing the factory’s states back to the tracker', () => {
  it('sets the dispatched state before the dispatch comment', async () => {
    const faults = new FaultInjector();
    const { h, item } = await stage('dispatched', { faults });
    const writes = faults.log.filter((call) => /^workItems\.(setState|postComment)$/.test(call));
    expect(writes).toEqual(['workItems.setState', 'workItems.postComment']);
    expect(h.tracker.stateOf(item.id)).toBe('dispatched');
    expect(h.tracker.commentsFor(item.id)).toHaveLength(1);
  });

  it('retries a set-state the tracker did not confirm, and posts the dispatch comment only after it', async () => {
    const { h } = harness();
    const item = h.clearItem('item-1');
    // A provider that wrote, read the item back and did not find the state throws after the write.
    const original = h.tracker.setState.bind(h.tracker);
    let unconfirmed = 1;
    h.tracker.setState = async (target, state, options) => {
      await original(target, state, options);
      if (unconfirmed-- > 0) throw new Error(`the tracker does not show ${state} after the write`);
    };
    const first = await h.factory.handle(h.changed(item));
    expect(first.outcome).toBe('incomplete');
    expect(first.error).toMatch(/set-state failed: the tracker does not show dispatched/);
    expect(h.tracker.commentsFor(item.id)).toEqual([]);
    expect((await h.record(item.id))?.pending.map((effect) => effect.kind)).toEqual([
      'set-state',
      'spawn',
      'comment',
    ]);
    h.clock.advance(1);
    await h.factory.handle({ type: 'tick' });
    expect((await h.record(item.id))?.pending).toEqual([]);
    expect(h.tracker.stateOf(item.id)).toBe('dispatched');
    expect(h.tracker.commentsFor(item.id)).toHaveLength(1);
  });
});

describe('needs-review: the output is ready and completion waits for the merge', () => {
  const merged = { settings: { completion: { on: 'merged' as const } } };

  it('marks the item for review once when its output becomes ready, and done when it merges', async () => {
    const { h, item } = await stage('dispatched', merged);
    const ready = await h.factory.handle(h.output(item, 'ready'));
    expect(ready.transitions).toEqual([]);
    expect(ready.effects).toContain('set-state needs-review');
    expect(await h.status(item.id)).toBe('dispatched');
    expect(h.tracker.stateOf(item.id)).toBe('needs-review');

    const duplicate = await h.factory.handle(h.output(item, 'ready'));
    expect(duplicate.effects).toEqual([]);
    expect(h.tracker.states.filter((entry) => entry.state === 'needs-review')).toHaveLength(1);

    const done = await h.factory.handle(h.output(item, 'merged'));
    expect(done.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
    expect(h.tracker.states.map((entry) => entry.state)).toEqual(['dispatched', 'needs-review', 'done']);
  });

  it('moves back to in progress when the output goes back to draft, and to review again when ready again', async () => {
    const { h, item } = await stage('dispatched', merged);
    await h.factory.handle(h.output(item, 'ready'));
    await h.factory.handle(h.output(item, 'draft'));
    expect(h.tracker.stateOf(item.id)).toBe('dispatched');
    await h.factory.handle(h.output(item, 'ready'));
    expect(h.tracker.states.map((entry) => entry.state)).toEqual([
      'dispatched',
      'needs-review',
      'dispatched',
      'needs-review',
    ]);
  });

  it('writes nothing for review when completion is on ready: ready is done', async () => {
    const { h, item } = await stage('dispatched');
    await h.factory.handle(h.output(item, 'ready'));
    expect(h.tracker.states.map((entry) => entry.state)).toEqual(['dispatched', 'done']);
  });

  it('carries the run’s trace id on the review write', async () => {
    const { h, item } = await stage('dispatched', merged);
    const seen: (string | undefined)[] = [];
    const original = h.tracker.setState.bind(h.tracker);
    h.tracker.setState = async (target, state, options) => {
      seen.push(options.traceId);
      await original(target, state, options);
    };
    await h.factory.handle(h.output(item, 'ready'));
    const run = (await h.record(item.id))?.run ?? 0;
    expect(seen).toEqual([traceIdFor(h.tenant, item.id, run)]);
  });
});

describe('write-backs when the factory stops or retries', () => {
  const routes = [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }];
  const states = (h: FactoryHarness) => h.tracker.states.map((entry) => entry.state);

  it('takes its markers off (cancelled) when a person stops a running item', async () => {
    const h = new FactoryHarness({ settings: { routes } });
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    await h.factory.handle(h.changed(h.edit(item, { state: 'backlog' })));
    expect(states(h)).toEqual(['dispatched', 'cancelled']);
  });

  it('marks the item worked on again for a retry, and takes the markers off when the last attempt fails', async () => {
    const h = new FactoryHarness({ settings: { routes, retry: { maxAttempts: 2, backoff: '1m' } } });
    await h.factory.handle(h.changed(h.clearItem('item-1')));
    await h.factory.handle({ type: 'agent.exited', agentId: 'agent-1', outcome: 'failed', exitCode: 1 });
    h.clock.advance(60_000);
    await h.factory.handle({ type: 'tick' });
    await h.factory.handle({ type: 'agent.exited', agentId: 'agent-2', outcome: 'failed', exitCode: 1 });
    expect(states(h)).toEqual(['dispatched', 'dispatched', 'cancelled']);
    expect(await h.status('item-1')).toBe('failed');
  });
});
