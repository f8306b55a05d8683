import { describe, expect, it } from 'vitest';
import { ANONYMOUS_CHECK_REUSE_MS } from '../src/http/health.ts';
import {
  type ConnectionReport,
  createFactoryApp,
  type FactoryEvent,
  InMemoryStateStore,
  type StateStore,
  StaticTenantRegistry,
} from '../src/index.ts';
import { FactoryHarness, queuedIn, slotsIn, TestWebhookSource } from '../src/testing/index.ts';

const SECRET = 'test-secret';

function setup(
  options: {
    /** The tenant's reports, or the check that makes them. */
    connections?: ConnectionReport[] | (() => Promise<ConnectionReport[]>);
    store?: StateStore;
    waitUntil?: (p: Promise<unknown>) => void;
    operatorToken?: string;
    adminToken?: string;
  } = {},
) {
  const store = options.store ?? new InMemoryStateStore();
  const h = new FactoryHarness({ tenant: 'acme', store });
  const registry = new StaticTenantRegistry([
    {
      id: 'acme',
      factory: h.factory,
      sources: new Map([['test', new TestWebhookSource(SECRET)]]),
      connections: async () =>
        typeof options.connections === 'function'
          ? options.connections()
          : (options.connections ?? [
              { provider: 'fake-tracker', role: 'intake', status: { state: 'connected' } },
            ]),
      ...(options.adminToken ? { adminToken: options.adminToken } : {}),
    },
  ]);
  const app = createFactoryApp({
    tenants: registry,
    store,
    version: '1.2.3',
    clock: h.clock,
    ...(options.waitUntil ? { waitUntil: options.waitUntil } : {}),
    ...(options.operatorToken ? { operatorToken: options.operatorToken } : {}),
  });
  const post = async (body: string, headers: Record<string, string> = {}, path = '/t/acme/webhooks/test') =>
    app.request(path, { method: 'POST', body, headers });
  const signed = async (payload: unknown, path?: string) => {
    const body = JSON.stringify(payload);
    return post(body, await TestWebhookSource.sign(SECRET, body, h.clock.now()), path);
  };
  const snapshot = async () => ({
    records: (await store.listRecords('acme')).records,
    queue: await queuedIn(store, 'acme'),
    slots: await slotsIn(store, 'acme', 'tenant'),
    // a delivery that was remembered would make this return false
    remembered: await store
      .rememberEvent('acme', 'test:probe', { now: 0, expiresAt: 1 })
      .then(async (memory) => {
        await store.forgetEvent('acme', 'test:probe');
        return memory.fresh;
      }),
  });
  return { app, h, store, post, signed, snapshot };
}

describe('POST /t/:tenant/webhooks/:source', () => {
  it('processes a signed delivery and answers what it did', async () => {
    const { h, signed } = setup();
    const response = await signed({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'processed',
      results: [
        { event: 'work-item.changed', outcome: 'changed', reason: 'dispatched to app', workItemId: 'item-1' },
      ],
    });
    expect(h.fleet.agents.size).toBe(1);
  });

  it('answers a re-delivery with the same delivery id as a duplicate and does nothing', async () => {
    const { h, signed } = setup();
    const payload = { id: 'd-1', events: [h.changed(h.clearItem('item-1'))] };
    await signed(payload);
    const again = await signed(payload);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate', deliveryId: 'd-1' });
    expect(h.fleet.spawnCalls).toBe(1);
  });

  const bad: {
    name: string;
    status: number;
    error: RegExp;
    send: (s: ReturnType<typeof setup>) => Response | Promise<Response>;
  }[] = [
    {
      name: 'missing signature',
      status: 401,
      error: /missing signature/,
      send: (s) => s.post('{"id":"x","events":[]}', { 'content-type': 'application/json' }),
    },
    {
      name: 'wrong signature',
      status: 401,
      error: /does not match/,
      send: async (s) => {
        const headers = await TestWebhookSource.sign(
          'other-secret',
          '{"id":"x","events":[]}',
          s.h.clock.now(),
        );
        return s.post('{"id":"x","events":[]}', headers);
      },
    },
    {
      name: 'a body changed by one byte after signing',
      status: 401,
      error: /does not match/,
      send: async (s) =>
        s.post(
          '{"id":"y","events":[]}',
          await TestWebhookSource.sign(SECRET, '{"id":"x","events":[]}', s.h.clock.now()),
        ),
    },
    {
      name: 'stale timestamp',
      status: 401,
      error: /window/,
      send: async (s) =>
        s.post(
          '{"id":"x","events":[]}',
          await TestWebhookSource.sign(SECRET, '{"id":"x","events":[]}', s.h.clock.now() - 301_000),
        ),
    },
    {
      name: 'malformed JSON',
      status: 400,
      error: /malformed JSON/,
      send: async (s) => s.post('{"id":', await TestWebhookSource.sign(SECRET, '{"id":', s.h.clock.now())),
    },
    {
      name: 'body that is not UTF-8',
      status: 400,
      error: /UTF-8/,
      send: (s) =>
        s.app.request('/t/acme/webhooks/test', {
          method: 'POST',
          body: new Uint8Array([0xff, 0xfe, 0x7b]),
          headers: { 'content-type': 'application/json' },
        }),
    },
    {
      name: 'wrong content type',
      status: 415,
      error: /unsupported content type "text\/plain"/,
      send: (s) => s.post('hello', { 'content-type': 'text/plain' }),
    },
    {
      name: 'no content type',
      status: 415,
      error: /unsupported content type "none"/,
      send: (s) =>
        s.app.request('/t/acme/webhooks/test', { method: 'POST', body: new TextEncoder().encode('{}') }),
    },
    {
      name: 'body over 1 MiB',
      status: 413,
      error: /larger than 1048576 bytes/,
      send: (s) => s.post(`{"id":"${'x'.repeat(1024 * 1024)}"}`, { 'content-type': 'application/json' }),
    },
    {
      name: 'body over 1 MiB that declares a small Content-Length',
      status: 413,
      error: /larger than 1048576 bytes/,
      send: (s) =>
        s.post(`{"id":"${'x'.repeat(1024 * 1024)}"}`, {
          'content-type': 'application/json',
          'content-length': '22',
        }),
    },
    {
      name: 'Content-Length over 1 MiB',
      status: 413,
      error: /larger than 1048576 bytes/,
      send: (s) => s.post('{}', { 'content-type': 'application/json', 'content-length': '1048577' }),
    },
    {
      name: 'unknown tenant',
      status: 404,
      error: /unknown tenant/,
      send: (s) => s.signed({ id: 'x', events: [] }, '/t/nobody/webhooks/test'),
    },
    {
      name: 'malformed tenant id',
      status: 404,
      error: /unknown tenant/,
      send: (s) => s.signed({ id: 'x', events: [] }, '/t/..%2F..%2Fetc/webhooks/test'),
    },
    {
      name: 'unknown source',
      status: 404,
      error: /no webhook source "nope"/,
      send: (s) => s.signed({ id: 'x', events: [] }, '/t/acme/webhooks/nope'),
    },
    {
      name: 'GET instead of POST',
      status: 405,
      error: /method not allowed/,
      send: (s) => s.app.request('/t/acme/webhooks/test'),
    },
    {
      name: 'an event type we do not handle',
      status: 202,
      error: /issue comment/,
      send: (s) => s.signed({ id: 'x', ignored: 'an issue comment is not a work item change' }),
    },
  ];
  for (const { name, status, error, send } of bad) {
    it(`${name}: ${status} with a clear reason, and the store is unchanged`, async () => {
      const s = setup();
      await s.signed({ id: 'seed', events: [s.h.changed(s.h.clearItem('item-1'))] });
      const before = await s.snapshot();
      const response = await send(s);
      expect(response.status).toBe(status);
      const body = (await response.json()) as { error?: string; reason?: string };
      expect(body.error ?? body.reason).toMatch(error);
      expect(await s.snapshot()).toEqual(before);
    });
  }

  it('answers 503 and forgets the delivery when an effect failed, so the retry finishes the work', async () => {
    const s = setup();
    const original = s.h.fleet.spawn.bind(s.h.fleet);
    let fail = true;
    s.h.fleet.spawn = async (request) => {
      if (fail) throw new Error('fleet unreachable');
      return original(request);
    };
    const payload = { id: 'd-1', events: [s.h.changed(s.h.clearItem('item-1'))] };
    const first = await s.signed(payload);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('30');
    expect(JSON.stringify(await first.json())).not.toContain('fleet unreachable');
    fail = false;
    const retry = await s.signed(payload);
    expect(retry.status).toBe(200);
    expect(s.h.fleet.agents.size).toBe(1);
  });

  it('answers 500 without internals and forgets the delivery when handling throws', async () => {
    const s = setup();
    const event = { type: 'work-item.changed', item: null } as unknown as FactoryEvent;
    const response = await s.signed({ id: 'd-1', events: [event] });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'internal error; the sender should retry' });
    expect((await s.store.rememberEvent('acme', 'test:d-1', { now: 0, expiresAt: 1 })).fresh).toBe(true);
  });

  it('refuses with 503 while a declared provider needs authorisation, after checking the signature', async () => {
    const s = setup({
      connections: [
        { provider: 'tracker', role: 'intake', status: { state: 'needs-auth', reason: 'no token' } },
      ],
    });
    const unsigned = await s.post('{}', { 'content-type': 'application/json' });
    expect(unsigned.status).toBe(401);
    const response = await s.signed({ id: 'd-1', events: [s.h.changed(s.h.clearItem('item-1'))] });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: 'not processing work: tracker (intake) needs authorisation',
      unconnected: [{ provider: 'tracker', role: 'intake', state: 'needs-auth' }],
    });
    expect(s.h.fleet.agents.size).toBe(0);
    // Refused, so not remembered: once connected, the sender's retry is processed.
    expect((await s.store.rememberEvent('acme', 'test:d-1', { now: 0, expiresAt: 1 })).fresh).toBe(true);
  });

  it('answers a protocol handshake (URL verification, ping) even before the providers are connected', async () => {
    const s = setup({
      connections: [
        { provider: 'chat', role: 'clarification', status: { state: 'needs-auth', reason: 'no token' } },
      ],
    });
    const response = await s.signed({ id: 'h-1', reply: 'challenge-123' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('challenge-123');
  });

  it('answers within the source deadline when the runtime can finish the work afterwards', async () => {
    const pending: Promise<unknown>[] = [];
    const s = setup({ waitUntil: (p) => pending.push(p) });
    const slowSource = new TestWebhookSource(SECRET, 'slow');
    Object.assign(slowSource, { answerWithinMs: 5 });
    // hold the fleet until the app has answered
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const original = s.h.fleet.spawn.bind(s.h.fleet);
    s.h.fleet.spawn = async (request) => {
      await gate;
      return original(request);
    };
    const registry = new StaticTenantRegistry([
      {
        id: 'acme',
        factory: s.h.factory,
        sources: new Map([['slow', slowSource]]),
        connections: async () => [],
      },
    ]);
    const app = createFactoryApp({
      tenants: registry,
      store: s.store,
      version: 'x',
      clock: s.h.clock,
      waitUntil: (p) => pending.push(p),
    });
    const body = JSON.stringify({ id: 'd-1', events: [s.h.changed(s.h.clearItem('item-1'))] });
    const response = await app.request('/t/acme/webhooks/slow', {
      method: 'POST',
      body,
      headers: await TestWebhookSource.sign(SECRET, body, s.h.clock.now()),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'accepted' });
    expect(s.h.fleet.agents.size).toBe(0);
    release();
    await Promise.all(pending);
    expect(s.h.fleet.agents.size).toBe(1);
  });
});

describe('GET /healthz', () => {
  const OPERATOR_TOKEN = 'operator-token-for-the-health-tests-0001';
  const asOperator = { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } };

  it('tells anyone only the status and the version', async () => {
    const { app } = setup();
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', version: '1.2.3' });
  });

  it('reports the store and each tenant’s connections to the operator token', async () => {
    const { app } = setup({ operatorToken: OPERATOR_TOKEN });
    const response = await app.request('/healthz', asOperator);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      version: '1.2.3',
      store: { ok: true },
      tenants: [
        {
          id: 'acme',
          processing: true,
          connections: [{ provider: 'fake-tracker', role: 'intake', state: 'connected' }],
        },
      ],
    });
  });

  it('is degraded (503) for anyone, and says why only to the operator token', async () => {
    const store = new InMemoryStateStore();
    store.ping = async () => {
      throw new Error('connection refused');
    };
    const { app } = setup({
      store,
      operatorToken: OPERATOR_TOKEN,
      connections: [
        {
          provider: 'chat',
          role: 'clarification',
          status: { state: 'missing-scopes', missing: ['chat:write'] },
        },
      ],
    });
    const anonymous = await app.request('/healthz');
    expect(anonymous.status).toBe(503);
    expect(await anonymous.json()).toEqual({ status: 'degraded', version: '1.2.3' });
    const response = await app.request('/healthz', asOperator);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { store: unknown; tenants: { refusal: string }[] };
    expect(body.store).toEqual({ ok: false, error: 'connection refused' });
    expect(body.tenants[0]?.refusal).toContain('missing scopes chat:write');
  });

  it('checks a refused tenant’s providers once per ANONYMOUS_CHECK_REUSE_MS for anyone, and reads no fleet circuit for them; the operator sees a fresh check every time', async () => {
    const store = new InMemoryStateStore();
    let checks = 0;
    let refused = true;
    // The fleet circuit is kept in the tenant's schedule document.
    const circuitReads: string[] = [];
    const getDocument = store.getDocument.bind(store);
    store.getDocument = async (tenant, name) => {
      if (name === 'schedule') circuitReads.push(tenant);
      return getDocument(tenant, name);
    };
    const { app, h } = setup({
      store,
      operatorToken: OPERATOR_TOKEN,
      connections: async () => {
        checks += 1;
        return [
          {
            provider: 'chat',
            role: 'clarification',
            status: refused ? { state: 'needs-auth', reason: 'token revoked' } : { state: 'connected' },
          },
        ];
      },
    });
    // A stranger's flood: every answer is the truth (degraded), from one check of the vendors.
    const flood = await Promise.all(Array.from({ length: 20 }, () => app.request('/healthz')));
    expect(flood.map((response) => response.status)).toEqual(Array(20).fill(503));
    expect(checks).toBe(1);
    expect(circuitReads).toEqual([]);
    // The operator's view asks the vendors and reads the circuit, each time.
    expect((await app.request('/healthz', asOperator)).status).toBe(503);
    expect((await app.request('/healthz', asOperator)).status).toBe(503);
    expect(checks).toBe(3);
    expect(circuitReads).toEqual(['acme', 'acme']);
    // Signed in again: anyone sees it once the reused check is older than ANONYMOUS_CHECK_REUSE_MS.
    refused = false;
    h.clock.advance(ANONYMOUS_CHECK_REUSE_MS - 1);
    expect((await app.request('/healthz')).status).toBe(503);
    h.clock.advance(1);
    expect((await app.request('/healthz')).status).toBe(200);
    expect(checks).toBe(4);
  });

  it('asks again at once for anyone after a check that failed', async () => {
    let checks = 0;
    const { app } = setup({
      connections: async () => {
        checks += 1;
        if (checks === 1) throw new Error('vendor unreachable');
        return [{ provider: 'fake-tracker', role: 'intake', status: { state: 'connected' } }];
      },
    });
    expect((await app.request('/healthz')).status).toBe(503);
    expect((await app.request('/healthz')).status).toBe(200);
    expect(checks).toBe(2);
  });

  it('is degraded (503), not an error, when the whole store is unreachable, even to the operator token', async () => {
    // Every call fails, as with a database server gone away: the token's throttle cannot be read either.
    const store = new Proxy(new InMemoryStateStore(), {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function'
          ? async () => {
              throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
            }
          : value;
      },
    });
    const adminToken = 'admin-token-of-acme-for-the-health-tests-01';
    const { app } = setup({ store, operatorToken: OPERATOR_TOKEN, adminToken });
    for (const init of [{}, asOperator]) {
      const response = await app.request('/healthz', init);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'degraded', version: '1.2.3' });
    }
    const tenant = await app.request('/t/acme/healthz', {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(tenant.status).toBe(503);
    expect(await tenant.json()).toEqual({ status: 'degraded', version: '1.2.3' });
  });
});
