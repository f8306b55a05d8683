import { describe, expect, it, vi } from 'vitest';
import { CLAIM_RENEWAL_LIMIT_MS } from '../src/http/claim-renewal.ts';
import {
  createFactoryApp,
  DELIVERY_CLAIM_MS,
  type DeliveryIdentity,
  type IncomingWebhook,
  InMemoryStateStore,
  StaticTenantRegistry,
  type WebhookInterpretation,
} from '../src/index.ts';
import { FactoryHarness, TestWebhookSource } from '../src/testing/index.ts';

const SECRET = 'dedupe-secret';

/** A signed source that names its deliveries by the `x-delivery` header, recognised as it is told. */
class IdentifyingSource extends TestWebhookSource {
  interpreted = 0;
  readonly #recognisedBy: DeliveryIdentity['recognisedBy'];
  /** Names the body by the digest in `x-body-digest` when set, as a source that signs the body alone does. */
  readonly #digests: boolean;

  constructor(recognisedBy: DeliveryIdentity['recognisedBy'], digests = false) {
    super(SECRET, 'named');
    this.#recognisedBy = recognisedBy;
    this.#digests = digests;
  }

  /** Reads the body as well as the header, as sources whose id is in the signed body do. */
  identify(request: IncomingWebhook): DeliveryIdentity {
    request.json();
    const deliveryId = request.headers.get('x-delivery') ?? undefined;
    const bodyDigest = this.#digests ? (request.headers.get('x-body-digest') ?? undefined) : undefined;
    return {
      ...(deliveryId ? { deliveryId } : {}),
      recognisedBy: this.#recognisedBy,
      ...(bodyDigest ? { bodyDigest } : {}),
    };
  }

  override async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    this.interpreted += 1;
    return super.interpret(request);
  }
}

function setup(
  recognisedBy: DeliveryIdentity['recognisedBy'] = 'id',
  digests = false,
  options: { keepsOutright?: boolean } = {},
) {
  const store = new InMemoryStateStore();
  const h = new FactoryHarness({ tenant: 'acme', store });
  const source = new IdentifyingSource(recognisedBy, digests);
  const app = createFactoryApp({
    tenants: new StaticTenantRegistry([
      {
        id: 'acme',
        factory: h.factory,
        sources: new Map([['named', source]]),
        connections: async () => [
          { provider: 'fake-tracker', role: 'intake', status: { state: 'connected' } },
        ],
      },
    ]),
    store,
    version: '1.0.0',
    clock: h.clock,
  });
  const calls = {
    remembered: vi.spyOn(store, 'rememberEvent'),
    forgotten: vi.spyOn(store, 'forgetEvent'),
    kept: vi.spyOn(store, 'keepEvent'),
  };
  // A store without `keepEvent` (it is optional): the app keeps a key by forgetting and remembering it.
  if (options.keepsOutright === false) Object.assign(store, { keepEvent: undefined });
  const send = async (payload: unknown, deliveryId?: string, bodyDigest?: string) => {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return app.request('/t/acme/webhooks/named', {
      method: 'POST',
      body,
      headers: {
        ...(await TestWebhookSource.sign(SECRET, body, h.clock.now())),
        ...(deliveryId ? { 'x-delivery': deliveryId } : {}),
        ...(bodyDigest ? { 'x-body-digest': bodyDigest } : {}),
      },
    });
  };
  const deliver = async (payload: unknown, deliveryId?: string, bodyDigest?: string) => {
    const response = await send(payload, deliveryId, bodyDigest);
    return { status: response.status, body: (await response.json().catch(() => undefined)) as unknown };
  };
  const resetCalls = () => {
    for (const spy of Object.values(calls)) spy.mockClear();
  };
  return { h, source, calls, send, deliver, resetCalls };
}

describe('a source that names its deliveries: a re-sent one is recognised before it is interpreted', () => {
  it('answers a re-sent delivery from one conditional write, without interpreting it again', async () => {
    const { h, source, calls, deliver, resetCalls } = setup('id');
    const payload = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
    expect(await deliver(payload, 'd-1')).toMatchObject({ status: 200, body: { status: 'processed' } });
    resetCalls();
    expect(await deliver(payload, 'd-1')).toEqual({
      status: 200,
      body: { status: 'duplicate', deliveryId: 'd-1' },
    });
    expect(source.interpreted).toBe(1);
    expect(calls.remembered).toHaveBeenCalledTimes(1);
    expect(calls.forgotten).not.toHaveBeenCalled();
    expect(h.fleet.spawnCalls).toBe(1);
  });

  it.each([
    ['id', 1],
    ['body', 1],
    ['id-and-body', 2],
  ] as const)('a fresh delivery recognised by %s is remembered with %i write(s)', async (by, writes) => {
    const { h, calls, deliver } = setup(by);
    await deliver({ id: 'p-1', events: [h.changed(h.clearItem('item-1'))] }, 'd-1');
    expect(calls.remembered).toHaveBeenCalledTimes(writes);
    expect(calls.forgotten).not.toHaveBeenCalled();
  });

  it('by id: the same id with other bytes is a duplicate, the same bytes under another id are not', async () => {
    const { h, deliver } = setup('id');
    const first = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
    await deliver(first, 'd-1');
    const retried = { id: 'p-1', events: [h.changed(h.clearItem('item-1', { title: 'sent again' }))] };
    expect((await deliver(retried, 'd-1')).body).toEqual({ status: 'duplicate', deliveryId: 'd-1' });
    expect((await deliver(first, 'd-2')).body).toMatchObject({ status: 'processed' });
  });

  it('by body: the same bytes under another id are a duplicate, other bytes under the same id are not', async () => {
    const { h, deliver } = setup('body');
    const first = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
    await deliver(first, 'd-1');
    expect((await deliver(first, 'd-2')).body).toEqual({ status: 'duplicate', deliveryId: 'd-2' });
    const other = { id: 'p-2', events: [h.changed(h.clearItem('item-2'))] };
    expect((await deliver(other, 'd-1')).body).toMatchObject({ status: 'processed' });
  });

  it('by body, named by the digest the source verified: that is the key, and the body is not hashed again', async () => {
    const { h, calls, deliver } = setup('body', true);
    const first = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
    await deliver(first, 'd-1', 'a'.repeat(64));
    expect(calls.remembered).toHaveBeenCalledWith('acme', `named:hmac:${'a'.repeat(64)}`, expect.anything());
    expect(calls.remembered.mock.calls.some(([, key]) => key.includes('sha256'))).toBe(false);
    expect((await deliver(first, 'd-2', 'a'.repeat(64))).body).toEqual({
      status: 'duplicate',
      deliveryId: 'd-2',
    });
    const other = { id: 'p-2', events: [h.changed(h.clearItem('item-2'))] };
    expect((await deliver(other, 'd-3', 'b'.repeat(64))).body).toMatchObject({ status: 'processed' });
  });

  it('by id and body: either one gives a re-sent delivery away', async () => {
    const { h, deliver } = setup('id-and-body');
    const first = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
    await deliver(first, 'd-1');
    expect((await deliver(first, 'd-2')).body).toMatchObject({ status: 'duplicate' });
    const other = { id: 'p-2', events: [h.changed(h.clearItem('item-2'))] };
    expect((await deliver(other, 'd-1')).body).toMatchObject({ status: 'duplicate' });
    expect(h.fleet.spawnCalls).toBe(1);
  });

  it('without an id, a source recognised by its id is recognised by its bytes', async () => {
    const { h, deliver } = setup('id');
    const payload = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
    await deliver(payload);
    expect((await deliver(payload)).body).toEqual({ status: 'duplicate' });
  });
});

describe('what does not become work', () => {
  it('a malformed delivery and a handshake are forgotten again, so each is answered the same when re-sent', async () => {
    const { calls, deliver } = setup('id-and-body');
    for (let round = 0; round < 2; round++) {
      expect(await deliver('{"id": 5}', 'd-malformed')).toMatchObject({ status: 400 });
      expect(await deliver('not json', 'd-not-json')).toMatchObject({ status: 400 });
      expect((await deliver({ id: 'p-2', reply: 'pong' }, 'd-handshake')).status).toBe(200);
    }
    // Every key each of them was remembered by is forgotten again.
    expect(calls.forgotten.mock.calls.map(([, key]) => key).sort()).toEqual(
      calls.remembered.mock.calls.map(([, key]) => key).sort(),
    );
  });

  it('an ignored delivery is kept as done: its retry is answered as a duplicate, from one write', async () => {
    const { calls, deliver, resetCalls } = setup('id');
    expect(await deliver({ id: 'p-1', ignored: 'not for us' }, 'd-ignored')).toMatchObject({
      status: 202,
      body: { status: 'ignored', reason: 'not for us' },
    });
    // The claim, then the claim turned into the delivery memory in one write.
    expect(calls.remembered).toHaveBeenCalledTimes(1);
    expect(calls.kept).toHaveBeenCalledTimes(1);
    expect(calls.forgotten).not.toHaveBeenCalled();
    resetCalls();
    expect(await deliver({ id: 'p-1', ignored: 'not for us' }, 'd-ignored')).toEqual({
      status: 200,
      body: { status: 'duplicate', deliveryId: 'd-ignored' },
    });
    expect(calls.remembered).toHaveBeenCalledTimes(1);
    expect(calls.forgotten).not.toHaveBeenCalled();
  });

  it('an ignored delivery is kept as done on a store that cannot keep a key outright: forgotten, remembered for longer', async () => {
    const { calls, deliver } = setup('id', false, { keepsOutright: false });
    expect((await deliver({ id: 'p-1', ignored: 'not for us' }, 'd-ignored')).status).toBe(202);
    expect(calls.remembered).toHaveBeenCalledTimes(2);
    expect(calls.forgotten).toHaveBeenCalledTimes(1);
    expect(await deliver({ id: 'p-1', ignored: 'not for us' }, 'd-ignored')).toEqual({
      status: 200,
      body: { status: 'duplicate', deliveryId: 'd-ignored' },
    });
  });

  it('a delivery whose events stored nothing is kept as done too, not left claimed', async () => {
    const { h, deliver } = setup('id');
    const payload = { id: 'p-1', events: [h.changed(h.clearItem('item-1', { state: 'backlog' }))] };
    expect((await deliver(payload, 'd-1')).status).toBe(200);
    expect(await deliver(payload, 'd-1')).toEqual({
      status: 200,
      body: { status: 'duplicate', deliveryId: 'd-1' },
    });
  });

  it('a delivery whose handling failed is forgotten, so the sender’s retry is processed', async () => {
    const { h, deliver } = setup('id');
    const original = h.fleet.spawn.bind(h.fleet);
    let fail = true;
    h.fleet.spawn = async (request) => {
      if (fail) throw new Error('fleet unreachable');
      return original(request);
    };
    const payload = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
    expect((await deliver(payload, 'd-1')).status).toBe(503);
    fail = false;
    expect((await deliver(payload, 'd-1')).body).toMatchObject({ status: 'processed' });
    expect(h.fleet.agents.size).toBe(1);
  });
});

describe('a delivery is claimed while it is handled, and kept for the delivery memory once its change is stored', () => {
  const DAY = 86_400_000;

  it('a delivery that changed an item is a duplicate for the whole delivery memory, from the claim alone', async () => {
    const { h, calls, deliver, resetCalls } = setup('id');
    const payload = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
    expect((await deliver(payload, 'd-1')).body).toMatchObject({ status: 'processed' });
    // The claim is short; the stored change kept the key with it, in the same write (no extra call).
    expect(calls.remembered.mock.calls[0]?.[2]).toEqual({
      now: expect.any(Number),
      expiresAt: (calls.remembered.mock.calls[0]?.[2].now ?? 0) + DELIVERY_CLAIM_MS,
    });
    resetCalls();
    h.clock.advance(DAY - 1);
    expect((await deliver(payload, 'd-1')).body).toEqual({ status: 'duplicate', deliveryId: 'd-1' });
    expect(h.fleet.spawnCalls).toBe(1);
  });

  it('a repeat while the delivery is being handled is asked to come back (503, Retry-After), not told it was done', async () => {
    const { h, send, deliver } = setup('id');
    const payload = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
    // The first copy is still being handled: its change is not stored yet.
    const release = holdCommits(h);
    const first = deliver(payload, 'd-1');
    await vi.waitFor(() => expect(h.factory.ports.store.commit).toHaveBeenCalled());
    const app = await send(payload, 'd-1');
    expect(app.status).toBe(503);
    expect(Number(app.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(app.headers.get('retry-after'))).toBeLessThanOrEqual(DELIVERY_CLAIM_MS / 1000);
    release();
    expect((await first).body).toMatchObject({ status: 'processed' });
    // Once its change is stored, a repeat is a duplicate.
    expect((await deliver(payload, 'd-1')).body).toEqual({ status: 'duplicate', deliveryId: 'd-1' });
    expect(h.fleet.agents.size).toBe(1);
  });

  it('a handling that runs past its claim renews it every third of its length, so a repeat is still asked to come back; the renewals end with it', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const { h, send, deliver } = setup('id');
      const renewed = vi.spyOn(h.factory.ports.store, 'renewEvent');
      const payload = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
      const release = holdCommits(h);
      const first = deliver(payload, 'd-1');
      await vi.waitFor(() => expect(vi.getTimerCount()).toBe(1));
      for (let third = 1; third <= 6; third += 1) await passTime(h, DELIVERY_CLAIM_MS / 3);
      expect(renewed).toHaveBeenCalledTimes(6);
      // Twice the claim has passed: without its renewals, this copy would be handled a second time.
      expect((await send(payload, 'd-1')).status).toBe(503);
      release();
      expect((await first).body).toMatchObject({ status: 'processed' });
      expect(vi.getTimerCount()).toBe(0);
      expect(h.fleet.spawnCalls).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a handling stuck longer than CLAIM_RENEWAL_LIMIT_MS stops renewing, and its claim runs out for the sender's retry", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const { h, deliver } = setup('id');
      const store = h.factory.ports.store;
      const release = holdCommits(h);
      const stuck = deliver({ id: 'p-1', events: [h.changed(h.clearItem('item-1'))] }, 'd-1');
      await vi.waitFor(() => expect(vi.getTimerCount()).toBe(1));
      while (vi.getTimerCount() > 0) await passTime(h, DELIVERY_CLAIM_MS / 3);
      expect(h.clock.now() - START).toBeGreaterThanOrEqual(CLAIM_RENEWAL_LIMIT_MS);
      expect(h.clock.now() - START).toBeLessThanOrEqual(CLAIM_RENEWAL_LIMIT_MS + DELIVERY_CLAIM_MS);
      h.clock.advance(DELIVERY_CLAIM_MS);
      expect(
        (await store.rememberEvent('acme', 'named:d-1', { now: h.clock.now(), expiresAt: h.clock.now() + 1 }))
          .fresh,
      ).toBe(true);
      release();
      await stuck;
    } finally {
      vi.useRealTimers();
    }
  });

  it('a delivery whose handling died with the store, before its change was stored and unforgotten, is handled when the sender retries after the claim', async () => {
    const { h, calls, deliver } = setup('id');
    const store = h.factory.ports.store;
    // The store goes away between the claim and the change: the commit fails, and so does the forget.
    vi.spyOn(store, 'commit').mockRejectedValueOnce(new Error('store went away'));
    calls.forgotten.mockRejectedValueOnce(new Error('store went away'));
    const payload = { id: 'p-1', events: [h.changed(h.clearItem('item-1'))] };
    expect((await deliver(payload, 'd-1')).status).toBe(500);
    expect(calls.forgotten).toHaveBeenCalledTimes(1);
    expect(await store.getRecord('acme', 'item-1')).toBeUndefined();

    // Its claim stands: a retry now is asked to come back, until the claim has run out.
    expect((await deliver(payload, 'd-1')).status).toBe(503);
    // Slack and Linear retry a minute later: by then the claim has run out.
    expect(DELIVERY_CLAIM_MS).toBeLessThan(60_000);
    h.clock.advance(DELIVERY_CLAIM_MS);
    expect((await deliver(payload, 'd-1')).body).toMatchObject({ status: 'processed' });
    expect(h.fleet.agents.size).toBe(1);
    expect((await deliver(payload, 'd-1')).body).toEqual({ status: 'duplicate', deliveryId: 'd-1' });
  });
});

const START = new FactoryHarness({ tenant: 'acme' }).clock.now();

/** Holds every write of a change until the returned function is called: a handling that runs long. */
function holdCommits(h: FactoryHarness): () => void {
  const store = h.factory.ports.store;
  const commit = store.commit.bind(store);
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  vi.spyOn(store, 'commit').mockImplementation(async (tenant, change) => {
    await held;
    return commit(tenant, change);
  });
  return release;
}

/** Moves the factory's clock and the faked interval timers on together, and lets the renewals land. */
async function passTime(h: FactoryHarness, ms: number): Promise<void> {
  h.clock.advance(ms);
  await vi.advanceTimersByTimeAsync(ms);
}

describe('the body is parsed once', () => {
  it('verify, identify and interpret share one JSON.parse', async () => {
    const { h, deliver } = setup('id');
    const parse = vi.spyOn(JSON, 'parse');
    await deliver({ id: 'p-1', events: [h.changed(h.clearItem('item-1'))] }, 'd-1');
    const ofTheBody = parse.mock.calls.filter(([text]) => String(text).includes('"p-1"'));
    parse.mockRestore();
    expect(ofTheBody).toHaveLength(1);
  });
});
