import { describe, expect, it } from 'vitest';
import { ConnectRefusedError } from '../src/index.ts';
import { deployment, OPERATOR, ORIGIN, PINNED_ADMIN } from './support/admin-api-fixture.ts';

// Remote sign-in: started through the admin API, finished by the vendor's redirect to the public
// callback, followed by polling. The deployed app keeps the code and the state to itself.

async function withTenant(options: Parameters<typeof deployment>[0] = {}) {
  const d = deployment(options);
  const token = await d.create('acme');
  const start = (
    init: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
    provider = 'tracker',
  ) => d.request('POST', `/admin/tenants/acme/connect/${provider}`, { token, ...init });
  const callback = (query: Record<string, string>, tenant = 'acme', provider = 'tracker') =>
    d.app.request(`${ORIGIN}/t/${tenant}/connect/${provider}/callback?${new URLSearchParams(query)}`);
  return { ...d, token, start, callback };
}

describe('POST /admin/tenants/:tenant/connect/:provider starts a sign-in on the deployed app', () => {
  it('answers 201 with where the browser goes, the callback on the public URL as the redirect', async () => {
    const { start, connectorOf } = await withTenant({ publicUrl: 'https://factory.example.com/' });
    const response = await start({ body: { scopes: ['read', 'write:issues'] } });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      flow: 'authorization-code',
      provider: 'tracker',
      authorizationUrl: expect.stringMatching(/^https:\/\/vendor\.test\/authorize\?/),
      scopes: ['read', 'write:issues'],
      expiresAt: expect.any(Number),
    });
    expect(connectorOf('acme').begun).toEqual([
      {
        provider: 'tracker',
        redirectUri: 'https://factory.example.com/t/acme/connect/tracker/callback',
        scopes: ['read', 'write:issues'],
      },
    ]);
  });

  it('takes no body at all (the connector picks the scopes), and the request’s origin without a public URL', async () => {
    const { start, connectorOf } = await withTenant();
    expect((await start()).status).toBe(201);
    expect(connectorOf('acme').begun).toEqual([
      { provider: 'tracker', redirectUri: `${ORIGIN}/t/acme/connect/tracker/callback`, scopes: undefined },
    ]);
  });

  it('is open to the operator and to the tenant’s own admin token', async () => {
    const { start } = await withTenant();
    expect((await start({ token: OPERATOR })).status).toBe(201);
  });

  it('refuses scopes that are not a short list of plain names (400), and starts nothing', async () => {
    const { start, connectorOf } = await withTenant();
    for (const body of [
      { scopes: [''] },
      { scopes: ['read write'] },
      { scopes: ['<script>'] },
      { scopes: 'read' },
      { scopes: Array.from({ length: 51 }, (_, n) => `scope${n}`) },
      { scopes: ['read'], redirectUri: 'https://evil.test/' },
    ]) {
      const response = await start({ body });
      expect(response.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(await response.json()).toMatchObject({
        error: 'invalid sign-in request',
        issues: expect.any(Array),
      });
    }
    expect(connectorOf('acme').begun).toEqual([]);
  });

  it('answers a provider segment that cannot be one, or one the tenant lacks, with 404', async () => {
    const { start, connectorOf } = await withTenant();
    for (const provider of ['Tracker', '9lives', 'chat']) {
      const response = await start({}, provider);
      expect(response.status, provider).toBe(404);
    }
    expect(connectorOf('acme').begun).toEqual([]);
  });

  it('says remote sign-in is off (409) for a tenant without a connector', async () => {
    const { start } = await withTenant({ connectors: false });
    const response = await start();
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: 'remote sign-in is off: this deployment has no credentials key (server.credentialsKey)',
    });
  });

  it('answers the connector’s refusal with its status and message', async () => {
    const { start, connectorOf } = await withTenant();
    connectorOf('acme').refuseBegin = new ConnectRefusedError(409, 'no OAuth app is configured for tracker');
    const response = await start();
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: 'no OAuth app is configured for tracker' });
  });

  it('works for a tenant of the config too, behind its admin token', async () => {
    const { request, connectorOf } = await withTenant();
    const response = await request('POST', '/admin/tenants/pinned/connect/tracker', { token: PINNED_ADMIN });
    expect(response.status).toBe(201);
    expect(connectorOf('pinned').begun).toHaveLength(1);
  });
});

describe('the callback finishes the sign-in; progress follows it', () => {
  it('connects the provider and says so on a small page, keeping the code and state to itself', async () => {
    const { start, callback, connectorOf, request, token } = await withTenant();
    const progress = () => request('GET', '/admin/tenants/acme/connect/tracker', { token });
    expect(await (await progress()).json()).toEqual({ state: 'none' });
    await start();
    expect(await (await progress()).json()).toMatchObject({ state: 'pending', flow: 'authorization-code' });

    const state = connectorOf('acme').lastState();
    const page = await callback({ code: 'the-code-0123', state });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('tracker is connected for acme; you can close this tab');
    expect(html).not.toContain('the-code-0123');
    expect(html).not.toContain(state);

    const done = await progress();
    expect(done.headers.get('cache-control')).toBe('no-store');
    expect(await done.json()).toEqual({
      state: 'connected',
      status: { state: 'connected', identity: 'bot@acme', grantedScopes: ['read'] },
    });
    const table = await request('GET', '/admin/tenants/acme/connections', { token });
    expect(await table.json()).toMatchObject({ providers: [{ provider: 'tracker', state: 'connected' }] });
  });

  it('refuses a reused state (410), an expired one (410) and one issued for another tenant (400), on pages', async () => {
    const d = await withTenant();
    await d.start();
    const used = d.connectorOf('acme').lastState();
    expect((await d.callback({ code: 'c1', state: used })).status).toBe(200);
    const reused = await d.callback({ code: 'c2', state: used });
    expect(reused.status).toBe(410);
    expect(await reused.text()).toContain('this sign-in was already completed');

    await d.start();
    const late = d.connectorOf('acme').lastState();
    d.clock.advance(11 * 60_000);
    const expired = await d.callback({ code: 'c3', state: late });
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('this sign-in has expired');

    const betaToken = await d.create('beta');
    await d.request('POST', '/admin/tenants/beta/connect/tracker', { token: betaToken });
    const betasState = d.connectorOf('beta').lastState();
    const crossed = await d.callback({ code: 'c4', state: betasState }, 'acme');
    expect(crossed.status).toBe(400);
    expect(d.connectorOf('acme').connected.size).toBe(1);
    expect(d.connectorOf('beta').connected.size).toBe(0);
  });

  it('escapes what the vendor sent back when it shows a refusal', async () => {
    const { callback } = await withTenant();
    const page = await callback({
      error: 'access_denied',
      error_description: '<script>alert(1)</script> & "more"',
    });
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;more&#34;');
  });

  it('answers a failure of the exchange with 502, and logs it without the code', async () => {
    const { start, callback, connectorOf, logger } = await withTenant();
    await start();
    const page = await callback({ code: 'vendor-down-code-9876', state: connectorOf('acme').lastState() });
    expect(page.status).toBe(502);
    const html = await page.text();
    expect(html).toContain('the sign-in could not be completed');
    expect(html).not.toContain('vendor-down-code-9876');
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'remote sign-in failed' }),
    );
    expect(JSON.stringify(logger.lines)).not.toContain('vendor-down-code-9876');
  });

  it('answers an unknown tenant, a provider it lacks and a tenant without a connector with a 404 page', async () => {
    const { callback } = await withTenant();
    for (const [tenant, provider] of [
      ['ghost', 'tracker'],
      ['acme', 'chat'],
      ['acme', 'Bad'],
    ] as const) {
      const page = await callback({ code: 'x', state: 'y' }, tenant, provider);
      expect(page.status, `${tenant}/${provider}`).toBe(404);
      expect(page.headers.get('content-type')).toContain('text/html');
    }
    const off = await withTenant({ connectors: false });
    expect((await off.callback({ code: 'x', state: 'y' })).status).toBe(404);
  });

  it('is a GET: other methods get 405', async () => {
    const { app } = await withTenant();
    const response = await app.request(`${ORIGIN}/t/acme/connect/tracker/callback`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(await response.json()).toEqual({ error: 'method not allowed; this path takes GET' });
  });

  it('works whether or not the admin API is on', async () => {
    const d = deployment({ operatorToken: null });
    const connector = d.connectorOf('pinned');
    await connector.begin('tracker', { redirectUri: `${ORIGIN}/t/pinned/connect/tracker/callback` });
    const page = await d.app.request(
      `${ORIGIN}/t/pinned/connect/tracker/callback?${new URLSearchParams({ code: 'c', state: connector.lastState() })}`,
    );
    expect(page.status).toBe(200);
  });
});
