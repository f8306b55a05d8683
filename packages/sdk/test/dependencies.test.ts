import { describe, expect, it } from 'vitest';
import { parseBlockers } from '../src/pipeline/dependencies.ts';
import { FactoryHarness } from '../src/testing/index.ts';

const SETTINGS = {
  routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
  limits: { maxInFlight: 3 },
};

describe('Blocked by: lines', () => {
  it('are read from anywhere in the description, as keys or URLs, once each', () => {
    expect(
      parseBlockers(
        'Do the thing.\n\nBlocked by: ENG-2, ENG-3\n- blocked by: https://tracker.example/ENG-4.\nBLOCKED BY: ENG-2',
      ),
    ).toEqual(['ENG-2', 'ENG-3', 'https://tracker.example/ENG-4']);
    expect(parseBlockers('Nothing blocks this; it is not blocked by anything.')).toEqual([]);
  });
});

describe('an item with blockers', () => {
  it('waits in blocked with a comment naming its open blockers, and starts when the last one completes', async () => {
    const h = new FactoryHarness({ settings: SETTINGS });
    const first = h.clearItem('item-2');
    const second = h.clearItem('item-3');
    await h.factory.handle(h.changed(first));
    await h.factory.handle(h.changed(second));
    const blocked = h.clearItem('item-1', {
      description: `${first.description}\n\nBlocked by: ENG-2, ENG-3`,
    });
    const parked = await h.factory.handle(h.changed(blocked));
    expect(parked.transitions.map((t) => t.to)).toEqual(['blocked']);
    expect(h.tracker.commentsFor('item-1')).toEqual([
      // Both blockers were dispatched: the tracker shows them in progress.
      'Waiting for ENG-2 (in-progress), ENG-3 (in-progress) to be done before an agent starts on this.',
    ]);
    expect(h.fleet.agentsFor('item-1')).toEqual([]);

    const afterFirst = await h.factory.handle(h.output(first, 'ready', 2));
    expect(afterFirst.transitions.map((t) => `${t.workItemId} ${t.to}`)).toEqual(['item-2 done']);
    expect(await h.status('item-1')).toBe('blocked');
    expect(h.tracker.commentsFor('item-1').at(-1)).toBe(
      'Waiting for ENG-3 (in-progress) to be done before an agent starts on this.',
    );

    const afterLast = await h.factory.handle(h.output(second, 'ready', 3));
    expect(afterLast.transitions.map((t) => `${t.workItemId} ${t.from}→${t.to}`)).toEqual([
      'item-3 dispatched→done',
      'item-1 blocked→dispatched',
    ]);
  });

  it('starts when a person closes a blocker the factory never worked on', async () => {
    const h = new FactoryHarness({ settings: SETTINGS });
    const manual = h.clearItem('item-7', { labels: [], state: 'backlog' });
    const item = h.clearItem('item-1', { description: `${manual.description}\nBlocked by: ENG-7` });
    await h.factory.handle(h.changed(item));
    expect(await h.status('item-1')).toBe('blocked');
    const closed = await h.factory.handle(h.changed(h.edit(manual, { state: 'done' })));
    expect(closed.transitions.map((t) => `${t.workItemId} ${t.to}`)).toEqual(['item-1 dispatched']);
  });

  it('is checked again by the tick, for blockers closed while no event reached the factory', async () => {
    const h = new FactoryHarness({ settings: SETTINGS });
    const manual = h.clearItem('item-7', { labels: [], state: 'in-progress' });
    await h.factory.handle(
      h.changed(h.clearItem('item-1', { description: `${manual.description}\nBlocked by: ENG-7` })),
    );
    h.tracker.items.set('item-7', { ...manual, state: 'done' });
    expect((await h.factory.handle({ type: 'tick' })).transitions).toEqual([]);
    h.clock.advance(300_000);
    const tick = await h.factory.handle({ type: 'tick' });
    expect(tick.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['blocked→dispatched']);
  });

  it('does not comment again while it waits for the same blockers', async () => {
    const h = new FactoryHarness({ settings: SETTINGS });
    const manual = h.clearItem('item-7', { labels: [], state: 'backlog' });
    await h.factory.handle(
      h.changed(h.clearItem('item-1', { description: `${manual.description}\nBlocked by: ENG-7` })),
    );
    for (let n = 0; n < 3; n++) {
      h.clock.advance(300_000);
      await h.factory.handle({ type: 'tick' });
    }
    expect(h.tracker.commentsFor('item-1')).toHaveLength(1);
  });

  it('reports a dependency cycle instead of waiting on it', async () => {
    const h = new FactoryHarness({ settings: SETTINGS });
    h.clearItem('item-2', { description: 'Second half.\nBlocked by: ENG-3' });
    h.clearItem('item-3', { description: 'Third part.\nBlocked by: ENG-1' });
    const item = h.clearItem('item-1', { description: 'First part of the work.\nBlocked by: ENG-2' });
    const result = await h.factory.handle(h.changed(item));
    expect(result.transitions.map((t) => t.to)).toEqual(['failed']);
    expect(result.reason).toBe('dependency cycle: ENG-1 → ENG-2 → ENG-3 → ENG-1');
    expect(h.tracker.commentsFor('item-1')[0]).toContain('dependency cycle: ENG-1 → ENG-2 → ENG-3 → ENG-1');
  });

  it('reports an item that blocks itself', async () => {
    const h = new FactoryHarness({ settings: SETTINGS });
    const result = await h.factory.handle(
      h.changed(h.clearItem('item-1', { description: 'Blocked by: ENG-1' })),
    );
    expect(result.reason).toBe('dependency cycle: ENG-1 → ENG-1');
  });

  it('is cancelled when a person takes it out of ready while it waits', async () => {
    const h = new FactoryHarness({ settings: SETTINGS });
    const item = h.clearItem('item-1', { description: 'Work.\nBlocked by: ENG-9' });
    await h.factory.handle(h.changed(item));
    const result = await h.factory.handle(h.changed(h.edit(item, { state: 'backlog' })));
    expect(result.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['blocked→cancelled']);
  });
});
