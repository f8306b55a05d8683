import { describe, expect, it } from 'vitest';
import { createFactoryApp, StaticTenantRegistry, type TenantStatus, traceIdFor } from '../src/index.ts';
import type { ItemHistory } from '../src/status/item-history.ts';
import type { FactoryPlots } from '../src/status/plots.ts';
import { FactoryHarness } from '../src/testing/index.ts';

const TOKEN = 'admin-token-for-the-dashboard-views-001';
const TRACE_URL = 'https://traces.example/explore?traceId={traceId}';
const bearer = { authorization: `Bearer ${TOKEN}` };
const HOUR = 3_600_000;

/** acme with one item done after a question was answered, one in flight, one failed by its agent. */
async function setup(options: { traceUrl?: string; agentLogs?: boolean } = {}) {
  const h = new FactoryHarness({
    tenant: 'acme',
    settings: {
      routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
      limits: { maxInFlight: 2 },
      retry: { maxAttempts: 1 },
    },
  });
  if (options.agentLogs)
    Object.assign(h.fleet, { agentLogUrl: (agentId: string) => `https://fleet.example/logs/${agentId}` });
  const registry = new StaticTenantRegistry([
    {
      id: 'acme',
      factory: h.factory,
      sources: new Map(),
      connections: async () => [
        { provider: 'tracker', role: 'intake', status: { state: 'connected' } },
        { provider: 'chat', role: 'clarification', status: { state: 'needs-auth', reason: 'token revoked' } },
      ],
      adminToken: TOKEN,
    },
  ]);
  const app = createFactoryApp({
    tenants: registry,
    store: h.store,
    version: 't',
    clock: h.clock,
    adminThrottle: false,
    ...(options.traceUrl ? { traceUrl: options.traceUrl } : {}),
  });
  const vague = h.vagueItem('item-3', { labels: ['factory', 'search'] });
  await h.factory.handle(h.changed(vague));
  h.clock.advance(20 * 60_000);
  await h.factory.handle({
    type: 'clarification.replied',
    threadId: 'thread-1',
    messageId: 'm-1',
    author: { id: 'ana', name: 'Ana', trusted: true, reason: 'a member of the channel' },
    text: 'Print the rows as JSON when --json is given; done when the JSON has one object per row.',
  });
  h.clock.advance(30 * 60_000);
  await h.factory.handle(h.output(vague, 'ready', 3));
  await h.factory.handle(h.changed(h.clearItem('item-1', { title: 'Export as JSON' })));
  await h.factory.handle(h.changed(h.clearItem('item-2', { title: 'Add a --csv flag' })));
  h.clock.advance(5 * 60_000);
  await h.factory.handle({ type: 'agent.exited', agentId: 'agent-3', outcome: 'failed', exitCode: 3 });
  return { app, h };
}

const get = (
  app: Awaited<ReturnType<typeof setup>>['app'],
  path: string,
  headers: Record<string, string> = bearer,
) => app.request(path, { headers });

describe('the item page', () => {
  it("shows the vague item's question, its answer, the dispatch and every transition, linked to its pull request", async () => {
    const { app } = await setup();
    const response = await get(app, '/t/acme/items/item-3');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(
      /<section id="clarification"[\s\S]*<blockquote class="question">[^<]+<\/blockquote>/,
    );
    expect(html).toContain('<b>Ana</b> answered: <blockquote>Print the rows as JSON');
    expect(html).toMatch(/<tr data-attempt="1"><td>1<\/td><td>1<\/td><td>agent-1<\/td>/);
    expect(html).toContain('href="https://code.example/acme/app/pull/3"');
    for (const to of ['new', 'waiting-clarification', 'dispatched', 'done'])
      expect(html).toContain(`<li data-to="${to}">`);
    // Times are relative, with the exact time on hover.
    expect(html).toMatch(/<time datetime="[^"]+Z" title="[^"]+Z">\d+ min ago<\/time>/);
  });

  it('gives each agent attempt its exit code and duration, and its data as JSON', async () => {
    const { app } = await setup();
    const response = await get(app, '/t/acme/items/item-2/history.json');
    expect(response.status).toBe(200);
    const item = (await response.json()) as ItemHistory;
    expect(item.status).toBe('failed');
    expect(item.attempts).toEqual([
      expect.objectContaining({
        number: 1,
        agentId: 'agent-3',
        exitCode: 3,
        durationMs: 5 * 60_000,
        outcome: 'failed',
      }),
    ]);
  });

  it('links the run to its trace when a trace URL is configured, and to the agent log the fleet keeps', async () => {
    const { app } = await setup({ traceUrl: TRACE_URL, agentLogs: true });
    const item = (await (await get(app, '/t/acme/items/item-1/history.json')).json()) as ItemHistory;
    expect(item.links.trace).toBe(
      `https://traces.example/explore?traceId=${traceIdFor('acme', 'item-1', 1)}`,
    );
    expect(item.links.agentLog).toBe('https://fleet.example/logs/agent-2');
    const html = await (await get(app, '/t/acme/items/item-1')).text();
    expect(html).toContain(
      `<li data-link="trace"><a href="https://traces.example/explore?traceId=${traceIdFor('acme', 'item-1', 1)}"`,
    );
    const without = await setup();
    expect(
      ((await (await get(without.app, '/t/acme/items/item-1/history.json')).json()) as ItemHistory).links
        .trace,
    ).toBeUndefined();
  });

  it('answers an unknown item with a 404 page, and JSON with a 404, only to the admin', async () => {
    const { app } = await setup();
    const page = await get(app, '/t/acme/items/no-such-item');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('No item with this id is known to the factory.');
    expect((await get(app, `/t/acme/items/${'x'.repeat(500)}`)).status).toBe(404);
    const data = await get(app, '/t/acme/items/no-such-item/history.json');
    expect(data.status).toBe(404);
    expect(await data.json()).toEqual({ error: 'unknown item' });
    for (const path of [
      '/t/acme/items/item-3',
      '/t/acme/items/no-such-item',
      '/t/acme/items/item-3/history.json',
    ]) {
      const stranger = await get(app, path, {});
      expect(stranger.status).toBe(401);
      expect(await stranger.text()).not.toContain('Fix it');
    }
  });
});

describe('the overview', () => {
  it('puts what needs a person at the top, each with its action, and counts every status', async () => {
    const { app } = await setup();
    const html = await (await get(app, '/t/acme/')).text();
    expect(html.indexOf('id="attention"')).toBeLessThan(html.indexOf('id="in-flight"'));
    expect(html).toMatch(
      /<li class="attention-provider"><b>chat \(clarification\) is needs-auth<\/b>: token revoked[\s\S]*factory connect chat/,
    );
    expect(html).toMatch(
      /<li class="attention-failed"><a href="\/t\/acme\/items\/item-2">ENG-2<\/a>[\s\S]*exited with code 3/,
    );
    const status = (await (await get(app, '/t/acme/status.json')).json()) as TenantStatus;
    expect(status.counts).toMatchObject({ done: 1, dispatched: 1, failed: 1, queued: 0 });
    expect(html).toContain(
      '<li data-count="done"><a href="/t/acme/?status=done"><span class="n">1</span> done</a></li>',
    );
  });

  it('filters by status, route, label and text, and keeps the counts whole', async () => {
    const { app } = await setup();
    const ids = async (query: string) => {
      const status = (await (await get(app, `/t/acme/status.json?${query}`)).json()) as TenantStatus;
      return [status.inFlight, status.recentDone, status.recentFailed]
        .flat()
        .map((item) => item.workItemId)
        .sort();
    };
    expect(await ids('')).toEqual(['item-1', 'item-2', 'item-3']);
    expect(await ids('status=done')).toEqual(['item-3']);
    expect(await ids('label=search')).toEqual(['item-3']);
    expect(await ids('route=app')).toEqual(['item-1', 'item-2', 'item-3']);
    expect(await ids('route=other')).toEqual([]);
    expect(await ids('q=csv')).toEqual(['item-2']);
    expect(await ids('q=eng-1')).toEqual(['item-1']);
    const html = await (await get(app, '/t/acme/?status=done&q=')).text();
    expect(html).toContain('<option value="done" selected>');
    expect(html).toContain('<span class="n">1</span> in flight');
    expect(html).not.toContain('data-item="item-1"');
  });

  for (const [query, says] of [
    [
      'status=stuck',
      'status must be one of new, waiting-clarification, blocked, queued, dispatched, done, failed, cancelled; got "stuck"',
    ],
    ['status=done&status=failed', 'give status at most once'],
    [`q=${'x'.repeat(201)}`, 'q must be at most 200 characters'],
    ['label=a%00b', 'label must not contain control characters'],
  ] as const)
    it(`refuses ?${query.slice(0, 30)} with a 400 that says why, as a page and as JSON`, async () => {
      const { app } = await setup();
      const page = await get(app, `/t/acme/?${query}`);
      expect(page.status).toBe(400);
      expect(await page.text()).toContain(says.replaceAll('"', '&#34;'));
      const data = await get(app, `/t/acme/status.json?${query}`);
      expect(data.status).toBe(400);
      expect(await data.json()).toEqual({ error: says });
      // Behind the same door: a stranger learns nothing, not even that the filter is wrong.
      expect((await get(app, `/t/acme/?${query}`, {})).status).toBe(401);
    });

  it('answers status.json with an ETag, and 304 while nothing changed', async () => {
    const { app, h } = await setup();
    const first = await get(app, '/t/acme/status.json');
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    h.clock.advance(1_000);
    const same = await get(app, '/t/acme/status.json', { ...bearer, 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');
    await h.factory.handle(h.changed(h.clearItem('item-4')));
    const changed = await get(app, '/t/acme/status.json', { ...bearer, 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    // The page names the version it shows, so its script misses no change made while it loaded.
    const html = await (await get(app, '/t/acme/')).text();
    expect(html).toContain(`data-etag="${(changed.headers.get('etag') ?? '').replaceAll('"', '&#34;')}"`);
  });
});

describe('the plots', () => {
  it('computes done, lead time, answers, agent failures and queue depth from the records', async () => {
    const { app } = await setup();
    const plots = (await (await get(app, '/t/acme/plots.json?window=24h')).json()) as FactoryPlots;
    expect(plots.records).toBe(3);
    expect(plots.done.reduce((a, b) => a + b, 0)).toBe(1);
    expect(plots.leadTime.overall).toEqual({ median: 50 * 60_000, p90: 50 * 60_000, count: 1 });
    expect(plots.clarification).toMatchObject({
      answered: 1,
      unanswered: 0,
      overall: { median: 20 * 60_000 },
    });
    expect(plots.agents.started.reduce((a, b) => a + b, 0)).toBe(3);
    expect(plots.agents.failureRate).toBe(0.5);
    expect(plots.agents.perFinishedItem).toBe(1);
    expect(plots.starts).toHaveLength(24);
    expect(plots.bucketMs).toBe(HOUR);
  });

  it('draws each plot as inline SVG with its numbers in a table', async () => {
    const { app } = await setup();
    const response = await get(app, '/t/acme/plots?window=7d');
    expect(response.status).toBe(200);
    const html = await response.text();
    for (const id of ['plot-done', 'plot-lead-time', 'plot-clarification', 'plot-agents', 'plot-queue'])
      expect(html).toMatch(
        new RegExp(`<figure id="${id}"[^>]*>[\\s\\S]*?<svg [^>]*role="img"[\\s\\S]*?</svg>`),
      );
    expect(html).toMatch(/<rect class="bar" [^>]*><title>done, \d\d-\d\d: 1<\/title><\/rect>/);
    expect(html).toContain('<a href="/t/acme/plots?window=7d" aria-current="page">7 days</a>');
    expect(html).not.toMatch(/<script>|style="/);
  });

  it('refuses a window it does not know with a 400 that names the ones it does', async () => {
    const { app } = await setup();
    const page = await get(app, '/t/acme/plots?window=1y');
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('window must be one of 24h, 7d, 30d; got &#34;1y&#34;');
    const data = await get(app, '/t/acme/plots.json?window=1y');
    expect(data.status).toBe(400);
    expect(await data.json()).toEqual({ error: 'window must be one of 24h, 7d, 30d; got "1y"' });
    expect((await get(app, '/t/acme/plots.json?window=1y', {})).status).toBe(401);
  });
});

describe('the trace URL option', () => {
  for (const [value, says] of [
    ['http://traces.example/{traceId}', 'must be an https URL'],
    ['https://traces.example/explore', 'must contain {traceId}'],
    ['not a url {traceId}', 'must be an https URL'],
  ] as const)
    it(`refuses ${value} as a misconfiguration`, async () => {
      const h = new FactoryHarness();
      expect(() =>
        createFactoryApp({
          tenants: new StaticTenantRegistry([]),
          store: h.store,
          version: 't',
          traceUrl: value,
        }),
      ).toThrow(says);
    });
});
