import { describe, expect, it } from 'vitest';
import { createFactoryApp, type SpawnRequest, StaticTenantRegistry } from '../src/index.ts';
import { readBreaker } from '../src/pipeline/breaker.ts';
import { FactoryHarness, queuedIn } from '../src/testing/index.ts';

const OPERATOR_TOKEN = 'operator-token-for-the-breaker-test-0001';

const SETTINGS = {
  routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
  limits: { maxInFlight: 2 },
  breaker: { threshold: 3, cooldown: '5m' },
};

/** A harness whose fleet fails every spawn while `down` is true (before starting anything). */
function withFlakyFleet() {
  const h = new FactoryHarness({ settings: SETTINGS });
  const state = { down: true, attempts: 0 };
  const spawn = h.fleet.spawn.bind(h.fleet);
  h.fleet.spawn = async (request: SpawnRequest) => {
    state.attempts++;
    if (state.down) throw new Error('fleet unreachable');
    return spawn(request);
  };
  return { h, state };
}

async function tickAfter(h: FactoryHarness, ms: number) {
  h.clock.advance(ms);
  return h.factory.handle({ type: 'tick' });
}

describe('the fleet circuit breaker', () => {
  it('opens after N consecutive spawn failures and holds new spawns while items stay queued', async () => {
    const { h, state } = withFlakyFleet();
    const items = ['item-1', 'item-2', 'item-3', 'item-4'].map((id) => h.clearItem(id));
    for (const item of items) await h.factory.handle(h.changed(item));
    // two dispatched (their spawns failed), two queued
    await tickAfter(h, 31_000);
    const breaker = await readBreaker(h.store, h.tenant);
    expect(breaker.value.state).toBe('open');
    expect(breaker.value.failures).toBe(3);
    const attemptsWhenOpen = state.attempts;
    for (let n = 0; n < 5; n++) await tickAfter(h, 31_000);
    expect(state.attempts).toBe(attemptsWhenOpen);
    expect((await queuedIn(h.store, h.tenant)).map((entry) => entry.workItemId)).toEqual([
      'item-3',
      'item-4',
    ]);
    expect(await h.status('item-3')).toBe('queued');
    expect(h.logger.lines.some((line) => line.message === 'fleet circuit open')).toBe(true);
  });

  it('says so, with the retry time, in the tenant status', async () => {
    const { h } = withFlakyFleet();
    for (const id of ['item-1', 'item-2']) await h.factory.handle(h.changed(h.clearItem(id)));
    await tickAfter(h, 31_000);
    const { tenantStatus } = await import('../src/index.ts');
    const status = await tenantStatus(h.store, h.tenant, [], h.clock.now());
    expect(status.breaker?.state).toBe('open');
    expect(status.breaker?.retryAt).toBe((await readBreaker(h.store, h.tenant)).value.retryAt);
    const app = createFactoryApp({
      tenants: new StaticTenantRegistry([
        { id: h.tenant, factory: h.factory, sources: new Map(), connections: async () => [] },
      ]),
      store: h.store,
      version: 't',
      operatorToken: OPERATOR_TOKEN,
    });
    const health = (await (
      await app.request('/healthz', { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })
    ).json()) as {
      tenants: { fleet?: { circuit: string; retryAt: string } }[];
    };
    expect(health.tenants[0]?.fleet).toEqual({
      circuit: 'open',
      retryAt: new Date(status.breaker?.retryAt ?? 0).toISOString(),
    });
  });

  it('closes after one successful half-open probe, and the queue drains; nothing lost or doubled', async () => {
    const { h, state } = withFlakyFleet();
    const items = ['item-1', 'item-2', 'item-3', 'item-4'].map((id) => h.clearItem(id));
    for (const item of items) await h.factory.handle(h.changed(item));
    await tickAfter(h, 31_000);
    expect((await readBreaker(h.store, h.tenant)).value.state).toBe('open');
    state.down = false;
    const before = state.attempts;
    await tickAfter(h, 5 * 60_000);
    expect((await readBreaker(h.store, h.tenant)).value.state).toBe('closed');
    expect(state.attempts - before).toBeGreaterThanOrEqual(1);
    await tickAfter(h, 31_000);
    for (const [n, item] of items.entries()) {
      if ((await h.status(item.id)) !== 'dispatched') await tickAfter(h, 31_000);
      await h.factory.handle(h.output(item, 'ready', n + 1));
    }
    await tickAfter(h, 31_000);
    for (const item of items) {
      expect(await h.status(item.id)).toBe('done');
      expect(h.fleet.agentsFor(item.id)).toHaveLength(1);
    }
    expect(h.fleet.peakRunning).toBeLessThanOrEqual(2);
  });

  it('re-opens when the half-open probe fails, and only the probe touched the fleet', async () => {
    const { h, state } = withFlakyFleet();
    for (const id of ['item-1', 'item-2', 'item-3']) await h.factory.handle(h.changed(h.clearItem(id)));
    await tickAfter(h, 31_000);
    const opened = await readBreaker(h.store, h.tenant);
    expect(opened.value.state).toBe('open');
    const before = state.attempts;
    await tickAfter(h, 5 * 60_000);
    expect(state.attempts - before).toBe(1);
    const reopened = (await readBreaker(h.store, h.tenant)).value;
    expect(reopened.state).toBe('open');
    expect(reopened.retryAt).toBeGreaterThan(opened.value.retryAt ?? 0);
  });

  it('counts lost agents as fleet failures; agents that fail their work do not count', async () => {
    const h = new FactoryHarness({
      settings: { ...SETTINGS, limits: { maxInFlight: 5 }, retry: { maxAttempts: 1 } },
    });
    for (const id of ['item-1', 'item-2', 'item-3', 'item-4'])
      await h.factory.handle(h.changed(h.clearItem(id)));
    await h.factory.handle({ type: 'agent.exited', agentId: 'agent-1', outcome: 'failed', exitCode: 1 });
    await h.factory.handle({ type: 'agent.exited', agentId: 'agent-2', outcome: 'failed', exitCode: 1 });
    expect((await readBreaker(h.store, h.tenant)).value.failures).toBe(0);
    await h.factory.handle({ type: 'agent.exited', agentId: 'agent-3', outcome: 'lost' });
    expect((await readBreaker(h.store, h.tenant)).value.failures).toBe(1);
  });
});
