import { describe, expect, it } from 'vitest';
import {
  createFactoryApp,
  FactoryMetrics,
  InMemoryStateStore,
  StaticTenantRegistry,
  type TenantRegistry,
} from '../src/index.ts';
import { FactoryHarness, MemoryLogger, TestWebhookSource } from '../src/testing/index.ts';

const SECRET = 'test-secret';
const OPERATOR_TOKEN = 'operator-token-of-at-least-32-characters';
const SECURITY_HEADERS = {
  'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * The app over one tenant `acme` with one source `test`. Its registry counts lookups, and fails them
 * while `failing` is set (a tenant directory that cannot be read).
 */
function setup() {
  const store = new InMemoryStateStore();
  const h = new FactoryHarness({ tenant: 'acme', store });
  const metrics = new FactoryMetrics();
  const logger = new MemoryLogger();
  const registry = new StaticTenantRegistry([
    {
      id: 'acme',
      factory: h.factory,
      sources: new Map([['test', new TestWebhookSource(SECRET)]]),
      connections: async () => [{ provider: 'fake-tracker', role: 'intake', status: { state: 'connected' } }],
    },
  ]);
  const directory = { lookups: 0, failing: false };
  const tenants: TenantRegistry = {
    get: async (id) => {
      directory.lookups++;
      if (directory.failing) throw new Error('the tenant directory is unreadable');
      return registry.get(id);
    },
    list: () => registry.list(),
  };
  const app = createFactoryApp({
    tenants,
    store,
    version: '1.2.3',
    clock: h.clock,
    metrics,
    logger,
    operatorToken: OPERATOR_TOKEN,
    adminThrottle: false,
  });
  const deliver = async (path: string, payload: unknown, init: RequestInit = {}) => {
    const body = JSON.stringify(payload);
    return app.request(path, {
      method: 'POST',
      body,
      headers: await TestWebhookSource.sign(SECRET, body, h.clock.now()),
      ...init,
    });
  };
  const counted = async () => {
    const response = await app.request('/metrics', {
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    return (await response.text())
      .split('\n')
      .filter((line) => line.startsWith('factory_webhook_deliveries'));
  };
  return { app, h, logger, directory, deliver, counted };
}

function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers);
}

describe('a webhook delivery is answered like every other request of the app', () => {
  it('carries the security headers and its JSON type, whatever it is answered', async () => {
    const { h, deliver } = setup();
    const answers = [
      await deliver('/t/acme/webhooks/test', { id: 'd-1', events: [h.changed(h.clearItem('item-1'))] }),
      await deliver('/t/acme/webhooks/test', { id: 'd-1', events: [h.changed(h.clearItem('item-1'))] }),
      await deliver('/t/acme/webhooks/test', { id: 'd-2', events: [] }),
      await deliver('/t/acme/webhooks/nope', { id: 'd-3', events: [] }),
      await deliver('/t/globex/webhooks/test', { id: 'd-4', events: [] }),
      await deliver(
        '/t/acme/webhooks/test',
        { id: 'd-5', events: [] },
        { headers: { 'content-type': 'text/plain' } },
      ),
      await deliver(
        '/t/acme/webhooks/test',
        { id: 'd-6', events: [] },
        {
          headers: {
            'content-type': 'application/json',
            'x-test-timestamp': '0',
            'x-test-signature': 'sha256=00',
          },
        },
      ),
    ];
    expect(answers.map((response) => response.status)).toEqual([200, 200, 202, 404, 404, 415, 401]);
    for (const response of answers)
      expect(headersOf(response)).toMatchObject({ 'content-type': 'application/json', ...SECURITY_HEADERS });
  });

  it('is counted by the status it was answered with, and an unknown tenant or source is not', async () => {
    const { h, deliver, counted } = setup();
    await deliver('/t/acme/webhooks/test', { id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    await deliver('/t/acme/webhooks/test', { id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    await deliver('/t/acme/webhooks/test?attempt=2', { id: 'd-2', events: [] });
    await deliver('/t/acme/webhooks/nope', { id: 'd-3', events: [] });
    await deliver('/t/globex/webhooks/test', { id: 'd-4', events: [] });
    expect(await counted()).toEqual([
      'factory_webhook_deliveries_total{tenant="acme",source="test",status="200"} 2',
      'factory_webhook_deliveries_total{tenant="acme",source="test",status="202"} 1',
    ]);
  });

  it('names its tenant and source the same when the path spells them with percent-escapes', async () => {
    const { h, deliver, counted } = setup();
    const response = await deliver('/t/%61cme/webhooks/%74est', {
      id: 'd-1',
      events: [h.changed(h.clearItem('item-1'))],
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'processed' });
    expect(await counted()).toEqual([
      'factory_webhook_deliveries_total{tenant="acme",source="test",status="200"} 1',
    ]);
  });

  it('refuses a tenant segment that is no tenant id, before looking anything up', async () => {
    const { deliver, directory } = setup();
    const response = await deliver('/t/ACME!/webhooks/test', { id: 'd-1', events: [] });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'unknown tenant' });
    expect(headersOf(response)).toMatchObject(SECURITY_HEADERS);
    expect(directory.lookups).toBe(0);
  });

  it('answers an error that escapes it with a 500 and a request id the log line carries, counted', async () => {
    const { deliver, logger, directory, counted } = setup();
    directory.failing = true;
    const response = await deliver('/t/acme/webhooks/test?attempt=1', { id: 'd-1', events: [] });
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string; requestId: string };
    expect(body).toEqual({ error: 'internal error', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(headersOf(response)).toMatchObject({ 'content-type': 'application/json', ...SECURITY_HEADERS });
    expect(logger.lines.find((line) => line.message === 'request failed')?.fields).toMatchObject({
      requestId: body.requestId,
      method: 'POST',
      path: '/t/acme/webhooks/test',
      error: 'the tenant directory is unreadable',
    });
    directory.failing = false;
    expect(await counted()).toEqual([
      'factory_webhook_deliveries_total{tenant="acme",source="test",status="500"} 1',
    ]);
  });

  it('is a POST: another method is answered 405 and not counted', async () => {
    const { app, counted } = setup();
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await app.request('/t/acme/webhooks/test', { method });
      expect(response.status).toBe(405);
      expect(headersOf(response)).toMatchObject(SECURITY_HEADERS);
    }
    expect(await counted()).toEqual([]);
  });
});
