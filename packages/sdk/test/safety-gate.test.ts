import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../src/index.ts';
import { FactoryHarness } from '../src/testing/index.ts';

const ROUTES = [{ name: 'app', match: { labels: [] }, repository: 'acme/app', agent: 'coder' }];

describe('the safety gate', () => {
  it('is narrow by default: only items labelled "factory" are in scope', () => {
    expect(resolveSettings({}).scope).toEqual({ labels: ['factory'] });
  });

  it('never dispatches an item outside the scope, whatever events arrive, and says why', async () => {
    const h = new FactoryHarness({
      settings: { routes: ROUTES, scope: { labels: ['factory'], teams: ['ENG'] } },
    });
    const item = h.clearItem('item-1', { team: 'OPS' });
    const events = [
      h.changed(item),
      h.changed(h.edit(item, { description: `${item.description}\nMore detail.` })),
      h.output(item, 'ready'),
      { type: 'tick' as const },
      { type: 'agent.exited' as const, agentId: 'agent-1', outcome: 'failed' as const },
    ];
    const results = [];
    for (const event of events) results.push(await h.factory.handle(event));
    expect(results[0]?.reason).toBe('outside the opt-in scope: team OPS is not one of ENG');
    expect(h.fleet.spawnCalls).toBe(0);
    expect(h.tracker.writeCalls).toBe(0);
    expect(await h.record('item-1')).toBeUndefined();
  });

  it('checks labels, title prefix, teams and projects together', async () => {
    const h = new FactoryHarness({
      settings: {
        routes: ROUTES,
        scope: { labels: ['factory', 'agent-ok'], titlePrefix: '[bot]', projects: ['Exports'] },
      },
    });
    const reasons = [];
    for (const [n, overrides] of [
      { labels: ['factory'] },
      { labels: ['factory', 'agent-ok'] },
      { labels: ['factory', 'Agent-OK'], title: '[bot] Add --json' },
      { labels: ['factory', 'agent-ok'], title: '[bot] Add --json', project: 'Exports' },
    ].entries()) {
      const result = await h.factory.handle(h.changed(h.clearItem(`item-${n + 1}`, overrides)));
      reasons.push(result.transitions.length ? 'dispatched' : result.reason);
    }
    expect(reasons).toEqual([
      'outside the opt-in scope: missing label "agent-ok"',
      'outside the opt-in scope: the title does not start with "[bot]"',
      'outside the opt-in scope: project (none) is not one of Exports',
      'dispatched',
    ]);
  });

  it('stops a running agent when its item leaves the scope', async () => {
    const h = new FactoryHarness({ settings: { routes: ROUTES } });
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    const result = await h.factory.handle(h.changed(h.edit(item, { labels: [], state: 'in-progress' })));
    expect(result.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→cancelled']);
    expect(result.reason).toContain('missing label "factory"');
    expect(h.fleet.agents.get('agent-1')?.released).toBe(true);
  });

  it('rejects a scope that would silently match nothing', () => {
    expect(() => resolveSettings({ scope: { labels: [], teams: [] } })).toThrow();
  });
});
