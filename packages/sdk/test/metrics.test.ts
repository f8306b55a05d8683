import { describe, expect, it } from 'vitest';
import { createFactoryApp, FactoryMetrics, StaticTenantRegistry, type TenantRuntime } from '../src/index.ts';
import { WORK_ITEM_STATUSES, type WorkItemStatus } from '../src/record.ts';
import type { TenantStatus } from '../src/status/tenant-status.ts';
import { FactoryHarness } from '../src/testing/index.ts';

const OPERATOR_TOKEN = 'operator-token-for-the-metrics-tests-01';
const ADMIN_TOKEN = 'admin-token-for-the-metrics-tests-000001';

function tenantOf(h: FactoryHarness, adminToken?: string): TenantRuntime {
  return {
    id: h.tenant,
    factory: h.factory,
    sources: new Map(),
    connections: async () => [
      { provider: 'tracker', role: 'intake', status: { state: 'connected', identity: 'bot' } },
    ],
    ...(adminToken ? { adminToken } : {}),
  };
}

/** Two tenants over one store and one set of counters: one item clarified, dispatched and done; one queued. */
async function deployment(options: { operatorToken?: string } = {}) {
  const metrics = new FactoryMetrics();
  const acme = new FactoryHarness({ tenant: 'acme', metrics });
  const globex = new FactoryHarness({ tenant: 'globex', store: acme.store, clock: acme.clock, metrics });

  const vague = acme.vagueItem('item-1');
  await acme.factory.handle(acme.changed(vague));
  const threadId = acme.chat.threadFor('item-1') ?? '';
  acme.clock.advance(3_600_000);
  await acme.factory.handle({
    type: 'clarification.replied',
    threadId,
    messageId: 'm-1',
    author: { id: 'pm', trusted: true, reason: 'a member' },
    text: 'The export command should accept --json and print the rows as a JSON array; keep the table.',
  });
  acme.clock.advance(1_800_000);
  await acme.factory.handle(acme.output(vague, 'ready'));
  await globex.factory.handle(globex.changed(globex.clearItem('item-2')));

  const app = createFactoryApp({
    tenants: new StaticTenantRegistry([tenantOf(acme, ADMIN_TOKEN), tenantOf(globex)]),
    store: acme.store,
    version: 't',
    clock: acme.clock,
    metrics,
    ...(options.operatorToken ? { operatorToken: options.operatorToken } : {}),
  });
  return { app, acme, metrics };
}

const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };

/** A tenant with no item in any state: the gauges are zero, the counters are what the test did. */
const EMPTY_STATUS: TenantStatus = {
  tenant: 'acme',
  generatedAt: 0,
  inFlight: [],
  queued: [],
  waiting: [],
  blocked: [],
  recentDone: [],
  recentFailed: [],
  connections: [],
  counts: Object.fromEntries(WORK_ITEM_STATUSES.map((status) => [status, 0])) as Record<
    WorkItemStatus,
    number
  >,
  attention: [],
};

describe('the deployment-wide /metrics', () => {
  it('shows every tenant in each family once, with HELP and TYPE lines, behind the operator token', async () => {
    const { app } = await deployment({ operatorToken: OPERATOR_TOKEN });
    const response = await app.request('/metrics', { headers: operator });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    const types = text.split('\n').filter((line) => line.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
    for (const line of text.trim().split('\n'))
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [0-9.e+-]+)$/);
    for (const name of types.map((line) => line.split(' ')[2] ?? ''))
      if (types.some((line) => line === `# TYPE ${name} counter`)) expect(name).toMatch(/_total$/);

    expect(text).toContain(
      'factory_events_total{tenant="acme",event="work-item.changed",outcome="changed"} 1',
    );
    expect(text).toContain(
      'factory_events_total{tenant="acme",event="clarification.replied",outcome="changed"} 1',
    );
    expect(text).toContain('factory_events_total{tenant="acme",event="output.changed",outcome="changed"} 1');
    expect(text).toContain(
      'factory_events_total{tenant="globex",event="work-item.changed",outcome="changed"} 1',
    );
    expect(text).toContain(
      'factory_handle_duration_seconds_count{tenant="acme",event="work-item.changed"} 1',
    );
    expect(text).toContain('factory_effects_total{tenant="acme",kind="open-thread",result="ok"} 1');
    expect(text).toContain('factory_effects_total{tenant="acme",kind="spawn",result="ok"} 1');
    expect(text).toMatch(
      /factory_provider_call_duration_seconds_count\{tenant="acme",port="fleet",provider="[^"]*",operation="spawn"\} 1/,
    );
    // The agent ran half an hour: into the 3600 s bucket, not the 900 s one.
    expect(text).toContain(
      'factory_agent_run_duration_seconds_bucket{tenant="acme",outcome="done",le="900"} 0',
    );
    expect(text).toContain(
      'factory_agent_run_duration_seconds_bucket{tenant="acme",outcome="done",le="3600"} 1',
    );
    expect(text).toContain('factory_agent_run_duration_seconds_sum{tenant="acme",outcome="done"} 1800');
    expect(text).toContain('factory_dispatch_latency_seconds_count{tenant="acme"} 1');
    expect(text).toContain('factory_in_flight{tenant="globex"} 1');
    expect(text).toContain('factory_in_flight{tenant="acme"} 0');
    expect(text).toContain('factory_fleet_circuit_state{tenant="acme",state="closed"} 1');
    expect(text).toContain('factory_fleet_circuit_state{tenant="acme",state="open"} 0');
  });

  it('answers 401 without a bearer, or with a tenant’s admin token or a wrong one, and says nothing of a tenant', async () => {
    const { app } = await deployment({ operatorToken: OPERATOR_TOKEN });
    for (const headers of [
      {},
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      { authorization: `Bearer ${OPERATOR_TOKEN.slice(0, -1)}x` },
      { authorization: 'Basic b3BlcmF0b3I=' },
    ] as Record<string, string>[]) {
      const response = await app.request('/metrics', { headers });
      expect(response.status).toBe(401);
      const body = await response.text();
      expect(body).not.toContain('acme');
      expect(body).not.toContain('factory_');
    }
  });

  it('is off (404) when the deployment has no operator token', async () => {
    const { app } = await deployment();
    const response = await app.request('/metrics', { headers: operator });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('no operator token is configured');
  });

  it('leaves a tenant’s own /t/:tenant/metrics to that tenant alone', async () => {
    const { app } = await deployment({ operatorToken: OPERATOR_TOKEN });
    const response = await app.request('/t/acme/metrics', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const text = await response.text();
    expect(text).toContain('tenant="acme"');
    expect(text).not.toContain('tenant="globex"');
  });
});

describe('the counters', () => {
  it('count a failed provider call and the effect it failed', async () => {
    const metrics = new FactoryMetrics();
    const h = new FactoryHarness({ tenant: 'acme', metrics });
    const failing = h.fleet as unknown as { spawn: (...args: unknown[]) => Promise<unknown> };
    failing.spawn = async () => {
      throw new Error('the fleet is down');
    };
    await h.factory.handle(h.changed(h.clearItem('item-1')));
    const text = metrics.render('acme', EMPTY_STATUS);
    expect(text).toMatch(
      /factory_provider_call_errors_total\{tenant="acme",port="fleet",provider="[^"]*",operation="spawn"\} 1/,
    );
    expect(text).toContain('factory_effects_total{tenant="acme",kind="spawn",result="failed"} 1');
    expect(text).toContain(
      'factory_events_total{tenant="acme",event="work-item.changed",outcome="incomplete"} 1',
    );
  });

  it('escapes label values', () => {
    const metrics = new FactoryMetrics();
    metrics.delivery('acme', 'we"ird\\source\nx', 200);
    const text = metrics.render('acme', EMPTY_STATUS);
    expect(text).toContain(
      'factory_webhook_deliveries_total{tenant="acme",source="we\\"ird\\\\source\\nx",status="200"} 1',
    );
  });
});
