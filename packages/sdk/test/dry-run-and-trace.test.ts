import { describe, expect, it } from 'vitest';
import { traceIdFor } from '../src/index.ts';
import { FactoryHarness } from '../src/testing/index.ts';
import { storeSnapshot } from './support.ts';

function writes(h: FactoryHarness) {
  return { tracker: h.tracker.writeCalls, chat: h.chat.writeCalls, fleet: h.fleet.spawnCalls };
}

describe('a dry run', () => {
  it('plans the dispatch of a clear item — state, rendered task, comment — and writes nothing anywhere', async () => {
    const h = new FactoryHarness();
    const before = await storeSnapshot(h);
    const result = await h.factory.handle(h.changed(h.clearItem('item-1')), { dryRun: true });
    expect(result.transitions.map((t) => t.to)).toEqual(['dispatched']);
    expect(
      result.plan?.map((write) => `${write.port} ${write.action} ${write.workItemKey ?? ''}`.trim()),
    ).toEqual(['work-items set-state ENG-1', 'fleet spawn ENG-1', 'work-items comment ENG-1']);
    const spawn = result.plan?.find((write) => write.action === 'spawn');
    expect(spawn?.detail.task).toContain('ENG-1');
    expect(spawn?.detail.branch).toBe('factory/eng-1');
    expect(writes(h)).toEqual({ tracker: 0, chat: 0, fleet: 0 });
    expect(await storeSnapshot(h)).toEqual(before);
    expect(h.logger.lines.some((line) => line.message === 'dry run: nothing was written')).toBe(true);
  });

  it('plans the question for a vague item without opening a thread', async () => {
    const h = new FactoryHarness();
    const result = await h.factory.handle(h.changed(h.vagueItem('item-1')), { dryRun: true });
    expect(result.plan?.map((write) => write.action)).toEqual(['open-thread', 'comment']);
    expect(String(result.plan?.[0]?.detail.question)).toContain('What should change');
    expect(h.chat.threads.size).toBe(0);
    expect(await h.record('item-1')).toBeUndefined();
  });

  it('plans from the real state: completing a really dispatched item plans done and the release, and changes nothing', async () => {
    const h = new FactoryHarness();
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    const before = await storeSnapshot(h);
    const counts = writes(h);
    const result = await h.factory.handle(h.output(item, 'ready'), { dryRun: true });
    expect(result.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
    expect(result.plan?.map((write) => write.action)).toEqual(['set-state', 'comment', 'release']);
    expect(await storeSnapshot(h)).toEqual(before);
    expect(writes(h)).toEqual(counts);
    expect(h.fleet.agents.get('agent-1')?.released).toBe(false);
  });

  it('is on for every call when the settings say so, and a call can still ask for it explicitly', async () => {
    const h = new FactoryHarness({
      settings: {
        dryRun: true,
        routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
      },
    });
    const result = await h.factory.handle(h.changed(h.clearItem('item-1')));
    expect(result.plan?.length).toBe(3);
    expect(writes(h)).toEqual({ tracker: 0, chat: 0, fleet: 0 });
  });
});

describe('trace ids', () => {
  it('are one deterministic W3C trace id per run, in results, logs and every write of the run', async () => {
    const h = new FactoryHarness();
    const item = h.clearItem('item-1');
    const dispatched = await h.factory.handle(h.changed(item));
    const expected = traceIdFor(h.tenant, 'item-1', 1);
    expect(expected).toMatch(/^[0-9a-f]{32}$/);
    expect(dispatched.traceId).toBe(expected);
    expect(h.fleet.agents.get('agent-1')?.request.traceId).toBe(expected);
    const done = await h.factory.handle(h.output(item, 'ready'));
    expect(done.traceId).toBe(expected);
    const logged = h.logger.lines.filter((line) => line.fields.workItemId === 'item-1');
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((line) => line.fields.traceId === expected)).toBe(true);
  });

  it('change with the run and the tenant', () => {
    const one = traceIdFor('acme', 'item-1', 1);
    expect(traceIdFor('acme', 'item-1', 1)).toBe(one);
    expect(traceIdFor('acme', 'item-1', 2)).not.toBe(one);
    expect(traceIdFor('other', 'item-1', 1)).not.toBe(one);
  });
});
