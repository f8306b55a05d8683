import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createFactoryApp,
  type FactoryAppOptions,
  type IncomingWebhook,
  InMemoryStateStore,
  revokeAllSessions,
  StaticTenantRegistry,
  type TenantRuntime,
  type WebhookInterpretation,
} from '../src/index.ts';
import { FactoryHarness, MemoryLogger, TestWebhookSource } from '../src/testing/index.ts';

// Issue #19's attack run against two tenants, finding by finding, through the HTTP app.

const TOKEN = 'admin-token-for-the-hardening-tests-0001';
const OTHER_TOKEN = 'admin-token-of-the-other-tenant-0000002';
const SECRET = 'webhook-secret';
const ORIGIN = 'http://factory.test';

/** A signed source whose delivery id comes from an unsigned header, as GitHub's, Jira's and GitLab's do. */
class HeaderDeliverySource extends TestWebhookSource {
  constructor() {
    super(SECRET, 'header');
  }
  override async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const interpretation = await super.interpret(request);
    const deliveryId = request.headers.get('x-delivery') ?? undefined;
    return { ...interpretation, ...(deliveryId ? { deliveryId } : {}) };
  }
}

function setup(options: Partial<FactoryAppOptions> & { tenant?: Partial<TenantRuntime> } = {}) {
  const store = new InMemoryStateStore();
  const h = new FactoryHarness({ tenant: 'acme', store });
  const other = new FactoryHarness({ tenant: 'beta', store, clock: h.clock });
  const logger = new MemoryLogger();
  const tenants = (acme: Partial<TenantRuntime> = {}) =>
    new StaticTenantRegistry([
      {
        id: 'acme',
        factory: h.factory,
        sources: new Map<string, TestWebhookSource>([
          ['test', new TestWebhookSource(SECRET)],
          ['header', new HeaderDeliverySource()],
        ]),
        connections: async () => [
          { provider: 'fake-tracker', role: 'intake', status: { state: 'connected' } },
        ],
        adminToken: TOKEN,
        ...acme,
      },
      {
        id: 'beta',
        factory: other.factory,
        sources: new Map(),
        connections: async () => [],
        adminToken: OTHER_TOKEN,
      },
    ]);
  const { tenant, ...appOptions } = options;
  const build = (acme: Partial<TenantRuntime> = tenant ?? {}) =>
    createFactoryApp({
      tenants: tenants(acme),
      store,
      version: '1.0.0',
      clock: h.clock,
      logger,
      // The runtime's view of the peer; a test header stands in for Node's socket here.
      clientAddress: (c) => c.req.header('x-test-peer'),
      ...appOptions,
    });
  const app = build();
  const request = (path: string, init: RequestInit = {}) => app.request(`${ORIGIN}${path}`, init);
  const login = (token: string, headers: Record<string, string> = {}, target = app) =>
    target.request(`${ORIGIN}/t/acme/login`, {
      method: 'POST',
      body: new URLSearchParams({ token }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, ...headers },
    });
  const sessionOf = async (response: Response | Promise<Response>) => {
    const answer = await response;
    expect(answer.status).toBe(303);
    return (answer.headers.get('set-cookie') ?? '').split(';')[0] as string;
  };
  return { app, build, h, other, store, logger, request, login, sessionOf };
}

/** A body stream of `total` bytes in 1 KiB chunks that counts how much of it was pulled. */
function countedBody(total: number) {
  const chunk = new TextEncoder().encode(`token=${'x'.repeat(1018)}`);
  const counter = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (counter.pulled >= total) return controller.close();
        counter.pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, counter };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('every body is read under a cap, refused with 413 before buffering past it', () => {
  it('login: a streamed 8 MiB body is abandoned after about 4 KiB', async () => {
    const { app } = setup();
    const { stream, counter } = countedBody(8 * 1024 * 1024);
    const response = await app.request(`${ORIGIN}/t/acme/login`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(counter.pulled).toBeLessThanOrEqual(5 * 1024);
  });

  it('login: a declared Content-Length over the cap is refused before a byte is read', async () => {
    const { app } = setup();
    const { stream, counter } = countedBody(8 * 1024 * 1024);
    const response = await app.request(`${ORIGIN}/t/acme/login`, {
      method: 'POST',
      body: stream,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(400 * 1024 * 1024),
        origin: ORIGIN,
      },
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(counter.pulled).toBe(0);
  });

  it('logout: the same cap', async () => {
    const { app } = setup();
    const { stream, counter } = countedBody(8 * 1024 * 1024);
    const response = await app.request(`${ORIGIN}/t/acme/logout`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(counter.pulled).toBeLessThanOrEqual(5 * 1024);
  });

  it('webhooks: a streamed body is abandoned just past the 1 MiB cap', async () => {
    const { app } = setup();
    const { stream, counter } = countedBody(64 * 1024 * 1024);
    const response = await app.request(`${ORIGIN}/t/acme/webhooks/test`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(counter.pulled).toBeLessThanOrEqual(1024 * 1024 + 1024);
  });

  it('login: a multipart form is refused (415) unread', async () => {
    const { app } = setup();
    const form = new FormData();
    form.set('token', TOKEN);
    const response = await app.request(`${ORIGIN}/t/acme/login`, {
      method: 'POST',
      body: form,
      headers: { origin: ORIGIN },
    });
    expect(response.status).toBe(415);
    expect(response.headers.get('set-cookie')).toBeNull();
  });
});

describe('failed admin tokens are throttled per client address and per tenant', () => {
  it('lets an address try 5 wrong tokens, then answers 429 with Retry-After, doubling, even for the right token', async () => {
    const { login, h } = setup();
    const from = { 'x-test-peer': '198.51.100.7' };
    for (let n = 0; n < 5; n++) expect((await login('wrong-token', from)).status).toBe(401);
    // The 6th wrong token is still compared and counted; from then on the address must wait.
    expect((await login('wrong-token', from)).status).toBe(401);
    const blocked = await login(TOKEN, from);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('1');
    expect(blocked.headers.get('set-cookie')).toBeNull();

    h.clock.advance(1000);
    expect((await login('wrong-token', from)).status).toBe(401);
    expect((await login(TOKEN, from)).headers.get('retry-after')).toBe('2');
    h.clock.advance(2000);
    expect((await login('wrong-token', from)).status).toBe(401);
    expect((await login(TOKEN, from)).headers.get('retry-after')).toBe('4');

    // Another address is not held back by this one.
    expect((await login(TOKEN, { 'x-test-peer': '198.51.100.8' })).status).toBe(303);
    // Once the wait is over, the right token gets in and the address starts over.
    h.clock.advance(4000);
    expect((await login(TOKEN, from)).status).toBe(303);
    for (let n = 0; n < 5; n++) expect((await login('wrong-token', from)).status).toBe(401);
  });

  it('throttles bearer tokens on the JSON views the same way', async () => {
    const { request } = setup();
    const from = (token: string) => ({
      headers: { authorization: `Bearer ${token}`, 'x-test-peer': '198.51.100.9' },
    });
    for (let n = 0; n < 6; n++) expect((await request('/t/acme/status.json', from('nope'))).status).toBe(401);
    const blocked = await request('/t/acme/status.json', from(TOKEN));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('blocks the whole tenant after 30 failures from anywhere, and not the other tenant', async () => {
    const { login, request } = setup();
    for (let n = 0; n < 31; n++) await login('wrong-token', { 'x-test-peer': `203.0.113.${n + 1}` });
    const fresh = { 'x-test-peer': '192.0.2.200' };
    expect((await login(TOKEN, fresh)).status).toBe(429);
    const beta = await request('/t/beta/status.json', {
      headers: { authorization: `Bearer ${OTHER_TOKEN}`, ...fresh },
    });
    expect(beta.status).toBe(200);
  });

  it('keeps the counts in the StateStore, so a second instance over the same store holds them too', async () => {
    const { login, build } = setup();
    const from = { 'x-test-peer': '198.51.100.10' };
    for (let n = 0; n < 6; n++) await login('wrong-token', from);
    const secondInstance = build();
    expect((await login(TOKEN, from, secondInstance)).status).toBe(429);
  });

  it('believes X-Forwarded-For only from a trusted proxy, read from the right', async () => {
    const { login } = setup({ trustedProxies: ['10.0.0.0/8'] });
    // Behind the proxy: the client is the address the proxy appended, whatever the client prepended.
    const viaProxy = (client: string) => ({
      'x-test-peer': '10.1.2.3',
      'x-forwarded-for': `192.0.2.1, ${client}`,
    });
    for (let n = 0; n < 6; n++) await login('wrong-token', viaProxy('198.51.100.20'));
    expect((await login(TOKEN, viaProxy('198.51.100.20'))).status).toBe(429);
    expect((await login(TOKEN, viaProxy('198.51.100.21'))).status).toBe(303);

    // Not from a trusted proxy: a forwarded address is ignored, so changing it changes nothing.
    for (let n = 0; n < 6; n++)
      await login('wrong-token', { 'x-test-peer': '198.51.100.30', 'x-forwarded-for': `192.0.2.${n}` });
    const spoofed = { 'x-test-peer': '198.51.100.30', 'x-forwarded-for': '192.0.2.99' };
    expect((await login(TOKEN, spoofed)).status).toBe(429);
  });

  it('refuses an admin token shorter than 32 characters: the views stay off, and the log says why', async () => {
    const { build, logger } = setup();
    const app = build({ adminToken: 'short-token-0001' });
    const response = await app.request(`${ORIGIN}/t/acme/status.json`, {
      headers: { authorization: 'Bearer short-token-0001' },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: "the dashboard is off: this tenant's admin token is shorter than 32 characters",
    });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'admin token refused: too short' }),
    );
    expect(JSON.stringify(logger.lines)).not.toContain('short-token-0001');
  });

  it('refuses an operator token shorter than 32 characters when the app is built', () => {
    expect(() => setup({ operatorToken: 'short' })).toThrow('at least 32 characters');
  });
});

describe('sessions carry their issue time, expiry and epoch, and end', () => {
  it('gives each login its own cookie, which the admin token is not in', async () => {
    const { login, sessionOf } = setup();
    const first = await sessionOf(login(TOKEN));
    const second = await sessionOf(login(TOKEN));
    expect(first).not.toBe(second);
    expect(first).not.toContain(TOKEN);
  });

  it('ends after 12 hours', async () => {
    const { login, sessionOf, request, h } = setup();
    const cookie = await sessionOf(login(TOKEN));
    h.clock.advance(12 * 3600_000 - 1000);
    expect((await request('/t/acme/status.json', { headers: { cookie } })).status).toBe(200);
    h.clock.advance(1000);
    expect((await request('/t/acme/status.json', { headers: { cookie } })).status).toBe(401);
  });

  it('logout ends that session on every instance; another session of the tenant goes on', async () => {
    const { login, sessionOf, request, build } = setup();
    const mine = await sessionOf(login(TOKEN));
    const theirs = await sessionOf(login(TOKEN));
    const logout = await request('/t/acme/logout', {
      method: 'POST',
      headers: { cookie: mine, origin: ORIGIN },
    });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('set-cookie')).toMatch(/^factory_session=;.*Max-Age=0/);
    expect((await request('/t/acme/status.json', { headers: { cookie: mine } })).status).toBe(401);
    const secondInstance = build();
    expect(
      (await secondInstance.request(`${ORIGIN}/t/acme/status.json`, { headers: { cookie: mine } })).status,
    ).toBe(401);
    expect((await request('/t/acme/status.json', { headers: { cookie: theirs } })).status).toBe(200);
  });

  it('revokeAllSessions (factory sessions revoke) ends every session of one tenant only', async () => {
    const { login, sessionOf, request, store } = setup();
    const mine = await sessionOf(login(TOKEN));
    const beta = await sessionOf(
      request('/t/beta/login', {
        method: 'POST',
        body: new URLSearchParams({ token: OTHER_TOKEN }),
        headers: { origin: ORIGIN },
      }),
    );
    expect(await revokeAllSessions(store, 'acme')).toBe(1);
    expect((await request('/t/acme/status.json', { headers: { cookie: mine } })).status).toBe(401);
    expect((await request('/t/beta/status.json', { headers: { cookie: beta } })).status).toBe(200);
    // A new login after the revocation works.
    const again = await sessionOf(login(TOKEN));
    expect((await request('/t/acme/status.json', { headers: { cookie: again } })).status).toBe(200);
  });

  it('a new admin token ends the sessions signed under the old one', async () => {
    const { login, sessionOf, build } = setup();
    const cookie = await sessionOf(login(TOKEN));
    const rotated = build({ adminToken: 'the-new-admin-token-after-rotation-0001' });
    const response = await rotated.request(`${ORIGIN}/t/acme/status.json`, { headers: { cookie } });
    expect(response.status).toBe(401);
  });

  it('refuses a cookie whose fields were changed (a later expiry, an older epoch)', async () => {
    const { login, sessionOf, request } = setup();
    const cookie = await sessionOf(login(TOKEN));
    const [name, value] = cookie.split('=') as [string, string];
    const [v, id, issued, expires, epoch, mac] = value.split('.');
    const later = `${name}=${[v, id, issued, Number(expires) + 3600_000, epoch, mac].join('.')}`;
    expect((await request('/t/acme/status.json', { headers: { cookie: later } })).status).toBe(401);
  });

  it('is Secure when the public URL is https, even when the app itself is reached over http', async () => {
    const { login } = setup({ publicUrl: 'https://factory.example.com' });
    const response = await login(TOKEN, { origin: 'https://factory.example.com' });
    expect(response.status).toBe(303);
    expect(response.headers.get('set-cookie')).toContain('Secure');
  });

  it('is Secure behind a TLS-terminating proxy that is trusted, and only then', async () => {
    const { login } = setup({ trustedProxies: ['10.0.0.1'] });
    const viaProxy = await login(TOKEN, { 'x-test-peer': '10.0.0.1', 'x-forwarded-proto': 'https' });
    expect(viaProxy.headers.get('set-cookie')).toContain('Secure');
    const claimed = await login(TOKEN, { 'x-test-peer': '198.51.100.1', 'x-forwarded-proto': 'https' });
    expect(claimed.status).toBe(303);
    expect(claimed.headers.get('set-cookie')).not.toContain('Secure');
  });

  it('refuses a public URL that is not an http(s) URL', () => {
    expect(() => setup({ publicUrl: 'factory.example.com' })).toThrow('publicUrl must be an http(s) URL');
  });
});

describe('tenant ids are checked before any use; errors reach the log, not the client', () => {
  it('answers POST /t/a%3Bb/logout with 404 and prints nothing', async () => {
    const { request, logger } = setup();
    const stderr = vi.spyOn(process.stderr, 'write');
    const consoleError = vi.spyOn(console, 'error');
    const response = await request('/t/a%3Bb/logout', { method: 'POST', headers: { origin: ORIGIN } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'unknown tenant' });
    expect(stderr).not.toHaveBeenCalled();
    expect(consoleError).not.toHaveBeenCalled();
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it.each([
    '/t/a%3Bb',
    '/t/a%3Bb/',
    '/t/a%3Bb/status.json',
    '/t/a%3Bb/healthz',
    '/t/..%2Fetc/login',
    '/t/a%0Ab/metrics',
  ])('%s is an unknown tenant (404)', async (path) => {
    const { request } = setup();
    const method = path.endsWith('login') ? 'POST' : 'GET';
    const response = await request(path, { method, headers: { origin: ORIGIN } });
    expect(response.status).toBe(404);
  });

  it('answers an error that escapes a route with a generic 500 and a request id the log line carries', async () => {
    const { build, logger } = setup();
    const app = build({
      connections: async () => {
        throw new Error('vendor said: token lin_api_secret is revoked');
      },
    });
    const stderr = vi.spyOn(process.stderr, 'write');
    const consoleError = vi.spyOn(console, 'error');
    const response = await app.request(`${ORIGIN}/t/acme/status.json`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string; requestId: string };
    expect(body).toEqual({ error: 'internal error', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(JSON.stringify(body)).not.toContain('lin_api_secret');
    const line = logger.lines.find((entry) => entry.message === 'request failed');
    expect(line?.fields).toMatchObject({
      requestId: body.requestId,
      method: 'GET',
      path: '/t/acme/status.json',
      error: 'vendor said: token lin_api_secret is revoked',
    });
    expect(stderr).not.toHaveBeenCalled();
    expect(consoleError).not.toHaveBeenCalled();
  });
});

describe('/healthz tells strangers only whether the deployment is up', () => {
  const OPERATOR = 'operator-token-for-the-hardening-tests-01';

  it('anonymous: {status, version}, no tenant, provider, breaker or store error', async () => {
    const { build, store } = setup();
    store.ping = async () => {
      throw new Error('SQLITE_CANTOPEN: /var/lib/factory/state.sqlite');
    };
    const app = build();
    const response = await app.request(`${ORIGIN}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'degraded', version: '1.0.0' });
  });

  it('the operator token (and only it) sees every tenant, a wrong one is 401', async () => {
    const { build } = setup();
    const app = build();
    const withOperator = setup({ operatorToken: OPERATOR }).app;
    const full = await withOperator.request(`${ORIGIN}/healthz`, {
      headers: { authorization: `Bearer ${OPERATOR}` },
    });
    expect(full.status).toBe(200);
    expect(((await full.json()) as { tenants: { id: string }[] }).tenants.map((t) => t.id)).toEqual([
      'acme',
      'beta',
    ]);
    const wrong = await withOperator.request(`${ORIGIN}/healthz`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(wrong.status).toBe(401);
    // Without an operator token configured, a bearer changes nothing: the anonymous view.
    const none = await app.request(`${ORIGIN}/healthz`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(await none.json()).toEqual({ status: 'ok', version: '1.0.0' });
  });

  it("GET /t/:tenant/healthz shows one tenant's detail behind its admin token or session", async () => {
    const { request, login, sessionOf } = setup({
      tenant: {
        connections: async () => [
          { provider: 'chat', role: 'clarification', status: { state: 'needs-auth', reason: 'no token' } },
        ],
      },
    });
    expect((await request('/t/acme/healthz')).status).toBe(401);
    expect(
      (await request('/t/acme/healthz', { headers: { authorization: `Bearer ${OTHER_TOKEN}` } })).status,
    ).toBe(401);
    const response = await request('/t/acme/healthz', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { tenant: { id: string; processing: boolean; refusal: string } };
    expect(body.tenant).toMatchObject({ id: 'acme', processing: false });
    expect(body.tenant.refusal).toMatch(/^chat \(\w+\) needs authorisation/);
    expect(body.tenant.refusal).not.toContain('factory connect');
    const cookie = await sessionOf(login(TOKEN));
    expect((await request('/t/acme/healthz', { headers: { cookie } })).status).toBe(503);
  });
});

describe('the dashboard is served with a strict policy, and its forms only from its own pages', () => {
  const expectPolicy = (response: Response) => {
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  };

  it('sends the policy on the page, the sign-in page, the JSON, the metrics and the login answer', async () => {
    const { request, login } = setup();
    const bearer = { headers: { authorization: `Bearer ${TOKEN}` } };
    for (const response of [
      await request('/t/acme/', bearer),
      await request('/t/acme/'),
      await request('/t/acme/status.json', bearer),
      await request('/t/acme/metrics', bearer),
      await request('/t/acme/dashboard.js'),
      await login(TOKEN),
      await login('wrong-token'),
    ])
      expectPolicy(response);
  });

  it('has no inline script: the page loads /t/:tenant/dashboard.js', async () => {
    const { request } = setup();
    const html = await (await request('/t/acme/', { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style/);
    expect(html).toContain('<script src="/t/acme/dashboard.js" defer></script>');
    const script = await request('/t/acme/dashboard.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('setInterval');
  });

  it('refuses a login posted from another site (403), with or without Origin', async () => {
    const { login, app } = setup();
    const foreign = await login(TOKEN, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    const nullOrigin = await login(TOKEN, { origin: 'null' });
    expect(nullOrigin.status).toBe(403);
    const crossSite = await app.request(`${ORIGIN}/t/acme/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN }),
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    const hiddenOrigin = await login(TOKEN, { origin: 'null', 'sec-fetch-site': 'same-site' });
    expect(hiddenOrigin.status).toBe(403);
  });

  it('accepts a login from its own origin, from the public URL, or marked same-origin by the browser', async () => {
    const { login } = setup({ publicUrl: 'https://factory.example.com' });
    expect((await login(TOKEN)).status).toBe(303);
    expect((await login(TOKEN, { origin: 'https://factory.example.com' })).status).toBe(303);
    const { app } = setup();
    const sameSite = await app.request(`${ORIGIN}/t/acme/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN }),
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expect(sameSite.status).toBe(303);
    // Our pages send no referrer, so a browser posts their forms with `Origin: null`.
    const noReferrer = await app.request(`${ORIGIN}/t/acme/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN }),
      headers: { origin: 'null', 'sec-fetch-site': 'same-origin' },
    });
    expect(noReferrer.status).toBe(303);
  });

  it('refuses a logout posted from another site, and the session goes on', async () => {
    const { login, sessionOf, request } = setup();
    const cookie = await sessionOf(login(TOKEN));
    const forged = await request('/t/acme/logout', {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(forged.status).toBe(403);
    expect((await request('/t/acme/status.json', { headers: { cookie } })).status).toBe(200);
  });
});

describe('a dependency down while reading a delivery is a 503 the sender retries, never a 500', () => {
  it('answers 503 with Retry-After when a source fails with something other than a WebhookError', async () => {
    const source = new TestWebhookSource(SECRET, 'flaky');
    source.interpret = async () => {
      throw new Error('fetch failed: ECONNREFUSED api.tracker.example');
    };
    const { build, h, logger } = setup();
    const app = build({
      sources: new Map([['flaky', source]]),
    });
    const body = JSON.stringify({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    const response = await app.request(`${ORIGIN}/t/acme/webhooks/flaky`, {
      method: 'POST',
      body,
      headers: await TestWebhookSource.sign(SECRET, body, h.clock.now()),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(await response.json()).toEqual({ error: 'a dependency is unavailable; retry later' });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'webhook not processed: a dependency failed',
        fields: expect.objectContaining({ error: 'fetch failed: ECONNREFUSED api.tracker.example' }),
      }),
    );
  });
});

describe('a captured delivery replayed under a new delivery id is a duplicate', () => {
  async function deliver(s: ReturnType<typeof setup>, body: string, deliveryId: string) {
    return s.request('/t/acme/webhooks/header', {
      method: 'POST',
      body,
      headers: { ...(await TestWebhookSource.sign(SECRET, body, s.h.clock.now())), 'x-delivery': deliveryId },
    });
  }

  it('answers the same bytes under another delivery id as a duplicate and does nothing', async () => {
    const s = setup();
    const body = JSON.stringify({ id: 'payload-1', events: [s.h.changed(s.h.clearItem('item-1'))] });
    expect(await (await deliver(s, body, 'delivery-1')).json()).toMatchObject({ status: 'processed' });
    const replay = await deliver(s, body, 'delivery-2');
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ status: 'duplicate', deliveryId: 'delivery-2' });
    expect(s.h.fleet.spawnCalls).toBe(1);
    // The replay's own delivery id was not kept: only the body gave it away.
    expect((await s.store.rememberEvent('acme', 'header:delivery-2', { now: 0, expiresAt: 1 })).fresh).toBe(
      true,
    );
  });

  it('still answers the same delivery id with other bytes as a duplicate', async () => {
    const s = setup();
    const first = JSON.stringify({ id: 'payload-1', events: [s.h.changed(s.h.clearItem('item-1'))] });
    const second = JSON.stringify({ id: 'payload-2', events: [s.h.changed(s.h.clearItem('item-2'))] });
    await deliver(s, first, 'delivery-1');
    expect(await (await deliver(s, second, 'delivery-1')).json()).toEqual({
      status: 'duplicate',
      deliveryId: 'delivery-1',
    });
  });

  it('forgets both keys when handling failed, so the retry under either id is processed', async () => {
    const s = setup();
    const original = s.h.fleet.spawn.bind(s.h.fleet);
    let fail = true;
    s.h.fleet.spawn = async (request) => {
      if (fail) throw new Error('fleet unreachable');
      return original(request);
    };
    const body = JSON.stringify({ id: 'payload-1', events: [s.h.changed(s.h.clearItem('item-1'))] });
    expect((await deliver(s, body, 'delivery-1')).status).toBe(503);
    fail = false;
    expect(await (await deliver(s, body, 'delivery-2')).json()).toMatchObject({ status: 'processed' });
    expect(s.h.fleet.agents.size).toBe(1);
  });
});
