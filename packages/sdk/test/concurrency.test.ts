import { describe, expect, it } from 'vitest';
import { InMemoryStateStore } from '../src/index.ts';
import { FactoryHarness, slotsIn } from '../src/testing/index.ts';
import { twoInstanceScenarios } from './support/two-instance-scenarios.ts';

function shuffle<T>(items: T[], seed: number): T[] {
  const result = [...items];
  let state = seed;
  for (let i = result.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}

const dispatchedComments = (h: FactoryHarness, id: string) =>
  h.tracker.commentsFor(id).filter((body) => body.startsWith('An agent'));

describe('the same event delivered 50 times at once', () => {
  it('spawns one agent and writes one comment and one state change', async () => {
    const h = new FactoryHarness();
    const event = h.changed(h.clearItem('item-1'));
    const results = await Promise.all(Array.from({ length: 50 }, () => h.factory.handle(event)));
    expect(results.filter((result) => result.transitions.length > 0)).toHaveLength(1);
    expect(h.fleet.agents.size).toBe(1);
    expect(h.fleet.spawnCalls).toBe(1);
    expect(h.tracker.writeCalls).toBe(2);
    expect(dispatchedComments(h, 'item-1')).toHaveLength(1);
    expect(results.every((result) => result.outcome !== 'incomplete')).toBe(true);
  });

  it('completes once when the ready output is delivered 50 times at once', async () => {
    const h = new FactoryHarness();
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    const ready = h.output(item, 'ready');
    await Promise.all(Array.from({ length: 50 }, () => h.factory.handle(ready)));
    expect(h.tracker.states.map((s) => s.state)).toEqual(['dispatched', 'done']);
    expect(h.tracker.commentsFor('item-1').filter((body) => body.startsWith('Done'))).toHaveLength(1);
  });

  it('re-triages once when the same clarification reply arrives 50 times at once', async () => {
    const h = new FactoryHarness();
    await h.factory.handle(h.changed(h.vagueItem('item-1')));
    const reply = {
      type: 'clarification.replied' as const,
      threadId: 'thread-1',
      messageId: 'm-1',
      author: { id: 'ana', trusted: true, reason: 'a member of the channel' },
      text: 'Print the rows as JSON when --json is given; done when the JSON has one object per row.',
    };
    await Promise.all(Array.from({ length: 50 }, () => h.factory.handle(reply)));
    expect(h.fleet.agents.size).toBe(1);
    expect(h.chat.threads.get('thread-1')?.replies).toHaveLength(1);
  });
});

describe('deliveries in shuffled order', () => {
  for (const seed of [1, 7, 42, 1234, 99_991]) {
    it(`applies the newest revision and dispatches once (seed ${seed})`, async () => {
      const h = new FactoryHarness();
      const first = h.clearItem('item-1');
      const revisions = [first];
      for (let n = 1; n < 8; n++) {
        revisions.push(
          h.edit(revisions.at(-1) ?? first, { description: `${first.description}\nRevision ${n}.` }),
        );
      }
      const deliveries = shuffle(
        [...revisions, ...revisions, ...revisions].map((item) => h.changed(item)),
        seed,
      );
      await Promise.all(deliveries.map((event) => h.factory.handle(event)));
      const record = await h.record('item-1');
      expect(record?.status).toBe('dispatched');
      expect(record?.item.updatedAt).toBe(revisions.at(-1)?.updatedAt);
      expect(h.fleet.agents.size).toBe(1);
      expect(dispatchedComments(h, 'item-1')).toHaveLength(1);
    });
  }

  it('never lets an older "not ready" update cancel a newer state', async () => {
    const h = new FactoryHarness();
    const ready = h.clearItem('item-1');
    const older = { ...ready, state: 'backlog' as const, updatedAt: '2025-12-31T23:59:59.000Z' };
    await h.factory.handle(h.changed(ready));
    const result = await h.factory.handle(h.changed(older));
    expect(result.reason).toContain('older update');
    expect(await h.status('item-1')).toBe('dispatched');
  });
});

describe('tenants', () => {
  it('two tenants with the same work item ids over one store never interfere', async () => {
    const store = new InMemoryStateStore({ freezeRecords: true });
    const a = new FactoryHarness({ tenant: 'tenant-a', store });
    const b = new FactoryHarness({
      tenant: 'tenant-b',
      store,
      settings: {
        limits: { maxInFlight: 1 },
        routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
      },
    });
    await a.factory.handle(a.changed(a.clearItem('item-1')));
    await b.factory.handle(b.changed(b.vagueItem('item-1')));
    await a.factory.handle(a.changed(a.clearItem('item-2')));
    expect(await a.status('item-1')).toBe('dispatched');
    expect(await b.status('item-1')).toBe('waiting-clarification');
    expect(await b.status('item-2')).toBeUndefined();
    // a's thread and key lookups do not resolve in b
    const foreignReply = await b.factory.handle({
      type: 'clarification.replied',
      threadId: 'thread-9',
      messageId: 'x',
      author: { id: 'z', trusted: true, reason: 'a member of the channel' },
      text: 'y',
    });
    expect(foreignReply.reason).toContain('not a thread');
    const foreignOutput = await b.factory.handle(a.output(a.tracker.items.get('item-1') as never, 'ready'));
    expect(foreignOutput.outcome).toBe('ignored');
    expect(await a.status('item-1')).toBe('dispatched');
    expect((await slotsIn(store, 'tenant-a', 'tenant')).length).toBe(2);
    expect(await slotsIn(store, 'tenant-b', 'tenant')).toEqual([]);
  });
});

// Over one store object here (the in-memory store has no clients); the durable stores register the same
// scenarios with a store object per instance.
describe('two factory instances over one store', () => {
  const store = new InMemoryStateStore({ freezeRecords: true });
  twoInstanceScenarios(() => store);
});
