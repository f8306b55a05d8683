import { describe, expect, it } from 'vitest';
import { createFactoryApp, FactoryMetrics, StaticTenantRegistry, type TenantStatus } from '../src/index.ts';
import { FactoryHarness } from '../src/testing/index.ts';

const TOKEN = 'admin-token-for-the-dashboard-tests-0001';

async function setup(adminToken: string | null = TOKEN) {
  const metrics = new FactoryMetrics();
  const h = new FactoryHarness({
    tenant: 'acme',
    settings: {
      routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
      limits: { maxInFlight: 1 },
    },
  });
  const factory = {
    ...h.factory,
    handle: async (event: Parameters<typeof h.factory.handle>[0]) => {
      const result = await h.factory.handle(event);
      metrics.observe('acme', result);
      return result;
    },
  };
  const registry = new StaticTenantRegistry([
    {
      id: 'acme',
      factory,
      sources: new Map(),
      connections: async () => [
        { provider: 'tracker', role: 'intake', status: { state: 'connected', identity: 'bot@acme' } },
        {
          provider: 'chat',
          role: 'clarification',
          status: { state: 'missing-scopes', missing: ['chat:write'] },
        },
      ],
      ...(adminToken ? { adminToken } : {}),
    },
  ]);
  const app = createFactoryApp({ tenants: registry, store: h.store, version: 't', clock: h.clock, metrics });
  const running = h.clearItem('item-1', { title: 'Export as <script>alert(1)</script> JSON' });
  await factory.handle(h.changed(running));
  await factory.handle(h.changed(h.clearItem('item-2')));
  await factory.handle(h.changed(h.vagueItem('item-3')));
  return { app, h };
}

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('the dashboard and its JSON and metrics', () => {
  it('is off (404) for a tenant without an admin token', async () => {
    const { app } = await setup(null);
    const response = await app.request('/t/acme/');
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('no admin token is configured');
  });

  for (const [name, init] of [
    ['no token', {}],
    ['a wrong bearer token', { headers: { authorization: 'Bearer nope' } }],
    ['a forged session cookie', { headers: { cookie: 'factory_session=0000' } }],
  ] as const) {
    it(`answers ${name} with 401 and renders nothing of the tenant's work`, async () => {
      const { app } = await setup();
      for (const path of ['/t/acme/', '/t/acme/status.json', '/t/acme/metrics']) {
        const response = await app.request(path, init);
        expect(response.status).toBe(401);
        const body = await response.text();
        expect(body).not.toContain('ENG-1');
        expect(body).not.toContain('agent-1');
        expect(body).not.toContain('factory_in_flight');
      }
    });
  }

  it('never takes the token from the query string, where it would be logged', async () => {
    const { app } = await setup();
    expect((await app.request(`/t/acme/?token=${TOKEN}`)).status).toBe(401);
    expect((await app.request(`/t/acme/status.json?token=${TOKEN}`)).status).toBe(401);
  });

  it('exchanges the token at the login form for an HttpOnly, SameSite session cookie without the token in it', async () => {
    const { app } = await setup();
    const wrong = await app.request('/t/acme/login', {
      method: 'POST',
      body: new URLSearchParams({ token: 'nope' }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const login = await app.request('/t/acme/login', {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN }),
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/t/acme/');
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^factory_session=v1\.[0-9a-f]{32}\.\d+\.\d+\.\d+\.[0-9a-f]{64};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/t/acme/');
    expect(cookie).not.toContain(TOKEN);
    const page = await app.request('/t/acme/', { headers: { cookie: cookie.split(';')[0] as string } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('In flight');
    expect(html).toContain('ENG-1');
  });

  it('shows in flight, queued with position, waiting with its thread, and connections; escapes what it shows', async () => {
    const { app } = await setup();
    const html = await (await app.request('/t/acme/', { headers: bearer })).text();
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toMatch(/<section id="in-flight"[^>]*>[\s\S]*agent-1[\s\S]*<\/section>/);
    expect(html).toMatch(/<section id="queued"[^>]*>[\s\S]*ENG-2[\s\S]*<\/section>/);
    expect(html).toMatch(
      /<section id="waiting"[^>]*>[\s\S]*href="https:\/\/chat.example\/thread-1"[\s\S]*<\/section>/,
    );
    expect(html).toContain('missing chat:write');
    const status = (await (
      await app.request('/t/acme/status.json', { headers: bearer })
    ).json()) as TenantStatus;
    expect(status.inFlight.map((item) => [item.key, item.agentId])).toEqual([['ENG-1', 'agent-1']]);
    expect(status.queued.map((item) => [item.key, item.position])).toEqual([['ENG-2', 1]]);
    expect(status.waiting.map((item) => item.threadUrl)).toEqual(['https://chat.example/thread-1']);
    expect(status.inFlight[0]?.history.map((entry) => entry.to)).toEqual(['new', 'dispatched']);
  });

  it('reports done and failed items with their reasons after they finish', async () => {
    const { app, h } = await setup();
    await h.factory.handle(h.output(h.tracker.items.get('item-1') as never, 'ready'));
    await h.factory.handle({ type: 'agent.exited', agentId: 'agent-2', outcome: 'failed', exitCode: 3 });
    const status = (await (
      await app.request('/t/acme/status.json', { headers: bearer })
    ).json()) as TenantStatus;
    expect(status.recentDone.map((item) => [item.key, item.outputUrl])).toEqual([
      ['ENG-1', 'https://code.example/acme/app/pull/1'],
    ]);
    expect(status.queued.map((item) => item.key)).toEqual(['ENG-2']);
    expect(status.queued[0]?.reason).toContain('exited with code 3');
  });

  it('exposes Prometheus counters, the dispatch latency histogram and gauges', async () => {
    const { app } = await setup();
    const response = await app.request('/t/acme/metrics', { headers: bearer });
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    expect(text).toContain(
      'factory_events_total{tenant="acme",event="work-item.changed",outcome="changed"} 3',
    );
    expect(text).toContain('factory_dispatch_latency_seconds_count{tenant="acme"} 1');
    expect(text).toContain('factory_queue_depth{tenant="acme"} 1');
    expect(text).toContain('factory_in_flight{tenant="acme"} 1');
    expect(text).toContain('factory_waiting_clarification{tenant="acme"} 1');
    expect(text).toContain('factory_connection_up{tenant="acme",provider="chat",role="clarification"} 0');
    for (const line of text.trim().split('\n'))
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [0-9.e+-]+)$/);
  });
});
