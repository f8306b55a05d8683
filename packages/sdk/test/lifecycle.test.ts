import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canTransition,
  type FactoryEvent,
  IllegalTransitionError,
  TRANSITIONS,
  WORK_ITEM_STATUSES,
  type WorkItemStatus,
} from '../src/index.ts';
import { queuedIn, slotsIn } from '../src/testing/index.ts';
import { harness, stage, storeSnapshot } from './support.ts';

const path = (result: { transitions: { from: string | null; to: string }[] }) =>
  result.transitions.map((t) => `${t.from}→${t.to}`);

describe('the transition table', () => {
  it('allows exactly the listed transitions and rejects every other pair', () => {
    for (const from of [null, ...WORK_ITEM_STATUSES]) {
      for (const to of WORK_ITEM_STATUSES) {
        const listed = TRANSITIONS[from ?? 'none'].includes(to);
        expect(canTransition(from, to)).toBe(listed);
        if (!listed) expect(() => assertTransition(from, to)).toThrow(IllegalTransitionError);
      }
    }
  });
});

describe('every transition of the table, driven by events', () => {
  it('none → new: triage failed; the record waits for the tick to retry', async () => {
    const { h, triage } = harness();
    triage.failing = true;
    const result = await h.factory.handle(h.changed(h.clearItem('item-1')));
    expect(result.outcome).toBe('incomplete');
    expect(result.error).toContain('triage failed');
    expect(await h.status('item-1')).toBe('new');
    expect((await h.record('item-1'))?.wakeAt).toBeDefined();
  });

  it('new → dispatched: the tick retries triage once it works again', async () => {
    const { h } = await stage('new');
    h.clock.advance(60_000);
    expect(path(await h.factory.handle({ type: 'tick' }))).toEqual(['new→dispatched']);
  });

  it('new → waiting-clarification: the retried triage finds the item vague', async () => {
    const { h, triage } = harness();
    triage.failing = true;
    await h.factory.handle(h.changed(h.vagueItem('item-1')));
    triage.failing = false;
    h.clock.advance(60_000);
    expect(path(await h.factory.handle({ type: 'tick' }))).toEqual(['new→waiting-clarification']);
  });

  it('new → queued: the retried triage finds no free slot', async () => {
    const { h, triage } = harness();
    await h.factory.handle(h.changed(h.clearItem('item-9')));
    triage.failing = true;
    await h.factory.handle(h.changed(h.clearItem('item-1')));
    triage.failing = false;
    h.clock.advance(60_000);
    expect(path(await h.factory.handle({ type: 'tick' }))).toEqual(['new→queued']);
  });

  it('new → failed: no route matches the item', async () => {
    const { h } = harness({
      settings: {
        routes: [{ name: 'web', match: { labels: ['web'] }, repository: 'acme/web', agent: 'coder' }],
      },
    });
    const result = await h.factory.handle(h.changed(h.clearItem('item-1')));
    expect(path(result)).toEqual(['new→failed']);
    expect(result.reason).toContain('no route matches');
    expect(h.tracker.commentsFor('item-1')[0]).toContain('no route matches');
    expect(h.fleet.agents.size).toBe(0);
  });

  it('new → cancelled: a person takes the item out of ready before triage succeeded', async () => {
    const { h, item } = await stage('new');
    expect(path(await h.factory.handle(h.changed(h.edit(item, { state: 'backlog' }))))).toEqual([
      'new→cancelled',
    ]);
  });

  it('waiting-clarification → dispatched: the answer makes the item clear', async () => {
    const { h } = await stage('waiting-clarification');
    const result = await h.factory.handle({
      type: 'clarification.replied',
      threadId: 'thread-1',
      messageId: 'm1',
      author: { id: 'ana', trusted: true, reason: 'a member of the channel' },
      text: 'Add a retry to the export job; it should stop after three attempts. Done when the test for retries passes.',
    });
    expect(path(result)).toEqual(['waiting-clarification→dispatched']);
    expect(h.chat.threads.get('thread-1')?.replies.at(-1)).toContain('enough to start');
  });

  it('waiting-clarification → queued: the answer makes it clear but no slot is free', async () => {
    const { h } = harness();
    await h.factory.handle(h.changed(h.clearItem('item-9')));
    await h.factory.handle(h.changed(h.vagueItem('item-1')));
    const result = await h.factory.handle({
      type: 'clarification.replied',
      threadId: 'thread-1',
      messageId: 'm1',
      author: { id: 'ana', trusted: true, reason: 'a member of the channel' },
      text: 'Add a retry to the export job; it should stop after three attempts. Done when the test for retries passes.',
    });
    expect(path(result)).toEqual(['waiting-clarification→queued']);
  });

  it('waiting-clarification → new: the answer arrives while triage is down; the tick retries with it', async () => {
    const { h, triage } = await stage('waiting-clarification');
    triage.failing = true;
    const answer =
      'Add a retry to the export job; it should stop after three attempts. Done when the test passes.';
    const result = await h.factory.handle({
      type: 'clarification.replied',
      threadId: 'thread-1',
      messageId: 'm1',
      author: { id: 'ana', trusted: true, reason: 'a member of the channel' },
      text: answer,
    });
    expect(path(result)).toEqual(['waiting-clarification→new']);
    triage.failing = false;
    h.clock.advance(60_000);
    expect(path(await h.factory.handle({ type: 'tick' }))).toEqual(['new→dispatched']);
    expect(h.fleet.agents.get('agent-1')?.request.task).toContain(answer);
  });

  it('waiting-clarification → failed: nobody answers, the tick reminds once and then gives up', async () => {
    const { h } = await stage('waiting-clarification');
    h.clock.advance(86_400_000);
    const reminded = await h.factory.handle({ type: 'tick' });
    expect(reminded.effects).toContain('reply-thread');
    expect(h.chat.threads.get('thread-1')?.replies.at(-1)).toContain('Reminder');
    expect(await h.status('item-1')).toBe('waiting-clarification');
    h.clock.advance(86_400_000);
    expect(path(await h.factory.handle({ type: 'tick' }))).toEqual(['waiting-clarification→failed']);
    expect(h.tracker.commentsFor('item-1').at(-1)).toContain('Nobody answered');
  });

  it('waiting-clarification → cancelled: a person takes the item out of ready', async () => {
    const { h, item } = await stage('waiting-clarification');
    expect(path(await h.factory.handle(h.changed(h.edit(item, { state: 'backlog' }))))).toEqual([
      'waiting-clarification→cancelled',
    ]);
    expect(h.chat.threads.get('thread-1')?.replies.at(-1)).toContain('Closing this question');
  });

  it('queued → dispatched: the slot frees when the running item completes', async () => {
    const { h } = await stage('queued');
    const blocker = h.tracker.items.get('item-9');
    if (!blocker) throw new Error('missing blocker');
    const result = await h.factory.handle(h.output(blocker, 'ready', 9));
    expect(path(result)).toEqual(['dispatched→done', 'queued→dispatched']);
  });

  it('queued → cancelled: a person takes the item out of ready while it queues', async () => {
    const { h, item } = await stage('queued');
    expect(path(await h.factory.handle(h.changed(h.edit(item, { state: 'backlog' }))))).toEqual([
      'queued→cancelled',
    ]);
    expect(await queuedIn(h.store, h.tenant)).toEqual([]);
  });

  it('dispatched → done: the output becomes ready', async () => {
    const { h, item } = await stage('dispatched');
    expect(path(await h.factory.handle(h.output(item, 'ready')))).toEqual(['dispatched→done']);
  });

  it('dispatched → done on merge only, when completion is set to merged', async () => {
    const { h, item } = await stage('dispatched', { settings: { completion: { on: 'merged' } } });
    expect(path(await h.factory.handle(h.output(item, 'ready')))).toEqual([]);
    expect(path(await h.factory.handle(h.output(item, 'merged')))).toEqual(['dispatched→done']);
  });

  it('dispatched → failed: the agent fails and no attempts remain', async () => {
    const { h } = await stage('dispatched');
    const result = await h.factory.handle({
      type: 'agent.exited',
      agentId: 'agent-1',
      outcome: 'failed',
      exitCode: 2,
    });
    expect(path(result)).toEqual(['dispatched→failed']);
    expect(h.tracker.commentsFor('item-1').at(-1)).toContain('exited with code 2');
    expect(await slotsIn(h.store, h.tenant, 'tenant')).toEqual([]);
  });

  it('dispatched → queued: the agent fails and an attempt remains; it restarts after the backoff', async () => {
    const { h } = await stage('dispatched', { settings: { retry: { maxAttempts: 2, backoff: '1m' } } });
    const result = await h.factory.handle({
      type: 'agent.exited',
      agentId: 'agent-1',
      outcome: 'failed',
      exitCode: 1,
    });
    expect(path(result)).toEqual(['dispatched→queued']);
    expect(path(await h.factory.handle({ type: 'tick' }))).toEqual([]);
    h.clock.advance(60_000);
    expect(path(await h.factory.handle({ type: 'tick' }))).toEqual(['queued→dispatched']);
    expect(h.fleet.agents.get('agent-2')?.request.attempt).toBe(2);
  });

  it('dispatched → cancelled: a person moves the item to done by hand; the agent is stopped', async () => {
    const { h, item } = await stage('dispatched');
    const result = await h.factory.handle(h.changed(h.edit(item, { state: 'cancelled' })));
    expect(path(result)).toEqual(['dispatched→cancelled']);
    expect(h.fleet.agents.get('agent-1')?.released).toBe(true);
    expect(await slotsIn(h.store, h.tenant, 'tenant')).toEqual([]);
  });

  describe('with blockers', () => {
    const blockedItem = async (options: { vague?: boolean; triageDown?: boolean; busy?: boolean } = {}) => {
      const { h, triage } = harness();
      if (options.busy) await h.factory.handle(h.changed(h.clearItem('item-9')));
      const blocker = h.clearItem('item-8', { state: 'backlog', labels: [] });
      const base = options.vague ? h.vagueItem('item-1') : h.clearItem('item-1');
      const item = h.clearItem('item-1', { ...base, description: `${base.description}\nBlocked by: ENG-8` });
      await h.factory.handle(h.changed(item));
      expect(await h.status('item-1')).toBe('blocked');
      triage.failing = options.triageDown ?? false;
      return h.factory.handle(h.changed(h.edit(blocker, { state: 'done' })));
    };

    it('new → blocked, and blocked → dispatched when the blocker is done', async () => {
      expect(path(await blockedItem())).toEqual(['blocked→dispatched']);
    });
    it('blocked → waiting-clarification: unblocked, but vague', async () => {
      expect(path(await blockedItem({ vague: true }))).toEqual(['blocked→waiting-clarification']);
    });
    it('blocked → queued: unblocked, but no free slot', async () => {
      expect(path(await blockedItem({ busy: true }))).toEqual(['blocked→queued']);
    });
    it('blocked → new: unblocked while triage is down', async () => {
      expect(path(await blockedItem({ triageDown: true }))).toEqual(['blocked→new']);
    });
    it('blocked → failed: the blockers now form a cycle', async () => {
      const { h } = harness();
      const blocker = h.clearItem('item-8', { state: 'backlog', labels: [] });
      await h.factory.handle(
        h.changed(h.clearItem('item-1', { description: 'Part one.\nBlocked by: ENG-8' })),
      );
      h.edit(blocker, { description: 'Part two.\nBlocked by: ENG-1' });
      h.clock.advance(300_000);
      expect(path(await h.factory.handle({ type: 'tick' }))).toEqual(['blocked→failed']);
    });
    it('waiting-clarification → blocked: the item is edited to name a blocker', async () => {
      const { h, item } = await stage('waiting-clarification');
      h.clearItem('item-8', { state: 'backlog', labels: [] });
      const edited = h.edit(item, { description: `${item.description}\nBlocked by: ENG-8` });
      expect(path(await h.factory.handle(h.changed(edited)))).toEqual(['waiting-clarification→blocked']);
    });
  });

  for (const terminal of ['done', 'failed', 'cancelled'] as const) {
    it(`${terminal} → new: the item becomes ready again and starts a new run`, async () => {
      const { h, item } = await stage(terminal);
      const reopened = h.edit(item, {
        state: 'todo',
        title: 'Add a --json flag to the export command',
        description:
          item.description.length > 40
            ? item.description
            : `${'Explain the change in detail. '.repeat(5)} Done when tests pass.`,
      });
      const result = await h.factory.handle(h.changed(reopened));
      expect(path(result)[0]).toBe(`${terminal}→new`);
      const record = await h.record('item-1');
      expect(record?.run).toBe(2);
      expect(record?.status).toBe('dispatched');
    });
  }
});

describe('every other event in every state is ignored, with the reason, and changes nothing', () => {
  const statuses: WorkItemStatus[] = [
    'new',
    'waiting-clarification',
    'blocked',
    'queued',
    'dispatched',
    'done',
    'failed',
    'cancelled',
  ];
  const irrelevant: {
    name: string;
    reason: RegExp;
    event: (s: Awaited<ReturnType<typeof stage>>) => FactoryEvent;
  }[] = [
    {
      name: 'an older update of the item',
      reason: /older update/,
      event: ({ item }) => ({
        type: 'work-item.changed',
        item: { ...item, updatedAt: '2020-01-01T00:00:00.000Z', state: 'backlog' },
      }),
    },
    {
      name: 'the same update again',
      reason: /already applied/,
      event: ({ h }) => ({ type: 'work-item.changed', item: h.tracker.items.get('item-1') as never }),
    },
    {
      name: 'a reply in a thread the factory never opened',
      reason: /not a thread the factory is waiting on/,
      event: () => ({
        type: 'clarification.replied',
        threadId: 'elsewhere',
        messageId: 'x',
        author: { id: 'bob', trusted: true, reason: 'a member of the channel' },
        text: 'hi',
      }),
    },
    {
      name: 'an output that names no work item',
      reason: /names no work item/,
      event: () => ({
        type: 'output.changed',
        output: { id: 'acme/app#77', url: 'u', state: 'ready', branch: 'main', title: 'chore' },
      }),
    },
    {
      name: 'the exit of an agent the factory does not know',
      reason: /unknown agent/,
      event: () => ({ type: 'agent.exited', agentId: 'agent-404', outcome: 'failed', exitCode: 1 }),
    },
  ];
  for (const status of statuses) {
    for (const { name, reason, event } of irrelevant) {
      it(`${status}: ${name}`, async () => {
        const staged = await stage(status);
        const before = await storeSnapshot(staged.h);
        const result = await staged.h.factory.handle(event(staged));
        expect(result.outcome).toBe('ignored');
        expect(result.reason).toMatch(reason);
        expect(await storeSnapshot(staged.h)).toEqual(before);
      });
    }
  }

  for (const status of ['waiting-clarification', 'queued', 'done', 'failed', 'cancelled'] as const) {
    it(`${status}: the output of the item's branch becomes ready`, async () => {
      const staged = await stage(status);
      const before = await storeSnapshot(staged.h);
      // The key lookup, as a record that was once dispatched has it.
      const stored = await staged.h.record('item-1');
      if (!stored) throw new Error('record missing');
      await staged.h.store.commit(staged.h.tenant, {
        record: { ...stored, version: stored.version + 1 },
        lookups: [{ kind: 'key', value: staged.item.key }],
      });
      const withIndex = await storeSnapshot(staged.h);
      const result = await staged.h.factory.handle(staged.h.output(staged.item, 'ready'));
      expect(result.outcome).toBe('ignored');
      expect(result.reason).toBe(`the item is ${status}`);
      expect(await storeSnapshot(staged.h)).toEqual(withIndex);
      // Only the version the lookup was written with differs.
      const unversioned = (records: typeof before.records) => records.map(({ version: _v, ...rest }) => rest);
      expect(unversioned(before.records)).toEqual(unversioned(withIndex.records));
    });
  }

  it('dispatched: a second exit of the same agent', async () => {
    const { h } = await stage('dispatched');
    await h.factory.handle({ type: 'agent.exited', agentId: 'agent-1', outcome: 'succeeded', exitCode: 0 });
    const before = await storeSnapshot(h);
    const again = await h.factory.handle({
      type: 'agent.exited',
      agentId: 'agent-1',
      outcome: 'succeeded',
      exitCode: 0,
    });
    expect(again.reason).toBe('the agent already exited');
    expect(await storeSnapshot(h)).toEqual(before);
  });

  it('waiting-clarification: the same reply delivered twice is read once', async () => {
    const { h } = await stage('waiting-clarification');
    const reply = {
      type: 'clarification.replied' as const,
      threadId: 'thread-1',
      messageId: 'm1',
      author: { id: 'ana', trusted: true, reason: 'a member of the channel' },
      text: 'no idea',
    };
    await h.factory.handle(reply);
    const before = await storeSnapshot(h);
    const again = await h.factory.handle(reply);
    expect(again.reason).toBe('this reply was already read');
    expect(await storeSnapshot(h)).toEqual(before);
  });

  it('dispatched: the item moving to in progress (the factory’s own write coming back) keeps it running', async () => {
    const { h, item } = await stage('dispatched');
    const result = await h.factory.handle(h.changed(h.edit(item, { state: 'in-progress' })));
    expect(result.transitions).toEqual([]);
    expect(result.reason).toContain('snapshot updated');
    expect(await h.status('item-1')).toBe('dispatched');
  });

  it('any state: a tick with nothing due', async () => {
    for (const status of statuses) {
      const { h } = await stage(status);
      await h.factory.handle({ type: 'tick' });
      const before = await storeSnapshot(h);
      const result = await h.factory.handle({ type: 'tick' });
      expect(result.reason).toBe('nothing due');
      expect(await storeSnapshot(h)).toEqual(before);
    }
  });
});
