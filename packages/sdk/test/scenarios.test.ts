import { describe, expect, it } from 'vitest';
import { FactoryHarness, slotsIn } from '../src/testing/index.ts';

describe('a clear work item', () => {
  it('is dispatched once, and done with a comment linking the output when the output is ready', async () => {
    const h = new FactoryHarness();
    const item = h.clearItem('item-1');

    const dispatched = await h.factory.handle(h.changed(item));
    expect(dispatched.outcome).toBe('changed');
    expect(dispatched.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['new→dispatched']);
    expect(dispatched.effects).toEqual(['set-state dispatched', 'spawn agent-1', 'comment dispatched']);
    expect(h.fleet.agents.get('agent-1')?.request.task).toContain('ENG-1');

    await h.factory.handle(h.output(item, 'draft'));
    expect(await h.status('item-1')).toBe('dispatched');

    const done = await h.factory.handle(h.output(item, 'ready'));
    expect(done.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
    expect(h.tracker.states.map((s) => s.state)).toEqual(['dispatched', 'done']);
    expect(h.tracker.commentsFor('item-1').at(-1)).toContain('https://code.example/acme/app/pull/1');
    expect(h.fleet.agents.get('agent-1')?.released).toBe(true);
    expect(await slotsIn(h.store, h.tenant, 'tenant')).toEqual([]);
  });
});

describe('a vague work item', () => {
  it('asks in a thread, re-triages with the answer, then dispatches', async () => {
    const h = new FactoryHarness();
    const item = h.vagueItem('item-2');
    const asked = await h.factory.handle(h.changed(item));
    expect(asked.transitions.map((t) => t.to)).toEqual(['waiting-clarification']);
    const threadId = h.chat.threadFor('item-2');
    expect(threadId).toBeDefined();
    expect(h.tracker.commentsFor('item-2')[0]).toContain('https://chat.example/thread-1');

    const answered = await h.factory.handle({
      type: 'clarification.replied',
      threadId: threadId as string,
      messageId: 'm-1',
      author: { id: 'ana', trusted: true, reason: 'a member of the channel' },
      text: 'The export command should print JSON when --json is passed. Done when the JSON matches the table rows.',
    });
    expect(answered.transitions.map((t) => t.to)).toEqual(['dispatched']);
    expect(h.fleet.agents.get('agent-1')?.request.task).toContain('print JSON');
  });
});

describe('the queue', () => {
  it('holds items beyond maxInFlight and starts them in arrival order as slots free', async () => {
    const h = new FactoryHarness();
    const items = ['item-1', 'item-2', 'item-3', 'item-4'].map((id) => h.clearItem(id));
    for (const item of items) await h.factory.handle(h.changed(item));
    expect(await Promise.all(items.map((item) => h.status(item.id)))).toEqual([
      'dispatched',
      'dispatched',
      'queued',
      'queued',
    ]);
    await h.factory.handle(h.output(items[1]!, 'ready', 2));
    expect(await h.status('item-3')).toBe('dispatched');
    expect(await h.status('item-4')).toBe('queued');
  });
});
