// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs hold ${NAME} references literally.
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/index.ts';
import { deployment, OPERATOR, ORIGIN, PINNED_ADMIN, tenantEntry } from './support/admin-api-fixture.ts';

// The admin API: tenants as data on a running deployment, behind the operator token (and a tenant's own
// admin token for its own tenant).

describe('the admin API is on only with a tenant directory and an operator token', () => {
  it('answers 404 saying the operator token is missing', async () => {
    const { request, snapshot } = deployment({ operatorToken: null });
    for (const [method, path] of [
      ['GET', '/admin/tenants'],
      ['POST', '/admin/tenants'],
      ['GET', '/admin/tenants/pinned'],
      ['POST', '/admin/tenants/pinned/connect/tracker'],
    ] as const) {
      const body = method === 'POST' ? { body: tenantEntry('acme') } : {};
      const response = await request(method, path, { token: OPERATOR, ...body });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: 'the admin API is off: no operator token is configured (server.operatorToken)',
      });
    }
    expect((await snapshot()).ids).toEqual([]);
  });

  it('answers 404 saying the directory is missing', async () => {
    const { request } = deployment({ admin: false });
    const response = await request('GET', '/admin/tenants', { token: OPERATOR });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'the admin API is off: the app was given no tenant directory',
    });
  });
});

describe('POST /admin/tenants creates a stored tenant and shows its admin token once', () => {
  it('stores the config without the id and only the hash of a fresh admin token', async () => {
    const { request, directory, changed, store, logger } = deployment();
    const response = await request('POST', '/admin/tenants', { token: OPERATOR, body: tenantEntry('acme') });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const created = (await response.json()) as { id: string; version: number; adminToken: string };
    expect(created).toEqual({
      id: 'acme',
      version: 1,
      adminToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });

    const stored = await directory.get('acme');
    const { id: _id, ...config } = tenantEntry('acme');
    expect(stored?.config).toEqual(config);
    expect(stored?.adminTokenSha256).toBe(await sha256Hex(created.adminToken));
    expect(changed).toEqual(['acme']);
    // The token is nowhere but in the answer: not in the store, not in a log line.
    const everything = JSON.stringify([await store.getDocument('acme', 'tenant-config'), logger.lines]);
    expect(everything).not.toContain(created.adminToken);
  });

  it('gives each tenant its own token', async () => {
    const { create } = deployment();
    expect(await create('acme')).not.toBe(await create('beta'));
  });

  it('opens the new tenant to its token at once: its admin routes, dashboard, status and login', async () => {
    const { request, create, app } = deployment();
    const token = await create('acme');
    expect((await request('GET', '/admin/tenants/acme', { token })).status).toBe(200);
    const status = await request('GET', '/t/acme/status.json', { token });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ tenant: 'acme' });
    expect((await request('GET', '/t/acme/', { token })).status).toBe(200);
    // Not connected yet, so degraded: but the detail is shown.
    const health = await request('GET', '/t/acme/healthz', { token });
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ tenant: { id: 'acme', processing: false } });

    const login = await app.request(`${ORIGIN}/t/acme/login`, {
      method: 'POST',
      body: new URLSearchParams({ token }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect((await request('GET', '/t/acme/', { headers: { cookie } })).status).toBe(200);
    expect((await request('GET', '/t/acme/status.json', { token: `${token}x` })).status).toBe(401);
  });

  it('refuses an id the config already serves (409), and an id that is stored (409)', async () => {
    const { request, create, snapshot } = deployment();
    const pinned = await request('POST', '/admin/tenants', { token: OPERATOR, body: tenantEntry('pinned') });
    expect(pinned.status).toBe(409);
    expect(await pinned.json()).toEqual({
      error: `tenant "pinned" is defined in the deployment's config; change it there`,
    });
    await create('acme');
    const before = await snapshot();
    const again = await request('POST', '/admin/tenants', { token: OPERATOR, body: tenantEntry('acme') });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: 'tenant "acme" exists' });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a missing or malformed id, and an admin token in the config, with the path of each problem', async () => {
    const { request, snapshot } = deployment();
    for (const [body, path] of [
      [{ ...tenantEntry('x'), id: undefined }, 'id'],
      [tenantEntry('../etc'), 'id'],
      [tenantEntry('_deployment'), 'id'],
      [tenantEntry('acme', { adminToken: '${ACME_ADMIN}' }), 'adminToken'],
    ] as const) {
      const response = await request('POST', '/admin/tenants', { token: OPERATOR, body });
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({
        error: 'invalid tenant config',
        issues: [{ path, message: expect.any(String) }],
      });
    }
    expect((await snapshot()).ids).toEqual([]);
  });
});

describe('GET /admin/tenants lists the config tenants and the stored ones', () => {
  it('says where each was defined and the version of a stored one', async () => {
    const { request, create } = deployment();
    await create('beta');
    await create('acme');
    const response = await request('GET', '/admin/tenants', { token: OPERATOR });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      tenants: [
        { id: 'acme', origin: 'store', version: 1 },
        { id: 'beta', origin: 'store', version: 1 },
        { id: 'pinned', origin: 'config' },
      ],
    });
  });
});

describe('GET /admin/tenants/:tenant', () => {
  it('shows a stored tenant as stored (references only) to the operator and to its own admin', async () => {
    const { request, create } = deployment();
    const token = await create('acme');
    const { id: _id, ...config } = tenantEntry('acme');
    for (const bearer of [OPERATOR, token]) {
      const response = await request('GET', '/admin/tenants/acme', { token: bearer });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({ id: 'acme', origin: 'store', version: 1, config });
    }
  });

  it('says only that a tenant of the config is one, to the operator and to its admin', async () => {
    const { request } = deployment();
    for (const bearer of [OPERATOR, PINNED_ADMIN]) {
      const response = await request('GET', '/admin/tenants/pinned', { token: bearer });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id: 'pinned', origin: 'config' });
    }
  });
});

describe('PUT /admin/tenants/:tenant replaces a stored config at the version it was read', () => {
  const changedEntry = (id: string) => tenantEntry(id, { tracker: { apiKey: '${OTHER_KEY}', team: 'OPS' } });

  it('stores the new config and answers its version, for the operator and for the tenant’s admin', async () => {
    const { request, create, directory, changed } = deployment();
    const token = await create('acme');
    const first = await request('PUT', '/admin/tenants/acme', {
      token: OPERATOR,
      body: changedEntry('acme'),
      headers: { 'if-match': '1' },
    });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ id: 'acme', version: 2 });
    expect((await directory.get('acme'))?.config.tracker).toEqual({ apiKey: '${OTHER_KEY}', team: 'OPS' });
    const byAdmin = await request('PUT', '/admin/tenants/acme', {
      token,
      body: tenantEntry('acme', { tracker: { apiKey: '${OTHER_KEY}', team: 'WEB' } }),
      headers: { 'if-match': '2' },
    });
    expect(byAdmin.status).toBe(200);
    expect((await directory.get('acme'))?.config.tracker).toEqual({ apiKey: '${OTHER_KEY}', team: 'WEB' });
    // The id may be left out; a quoted version is one too.
    const { id: _id, ...withoutId } = tenantEntry('acme');
    const second = await request('PUT', '/admin/tenants/acme', {
      token: OPERATOR,
      body: withoutId,
      headers: { 'if-match': '"3"' },
    });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ id: 'acme', version: 4 });
    expect(changed).toEqual(['acme', 'acme', 'acme', 'acme']);
  });

  it('lets only the operator set a secret reference or an address: a tenant admin could send a deployment secret away', async () => {
    const { request, create, snapshot } = deployment();
    const token = await create('acme');
    const before = await snapshot();
    for (const tracker of [
      { apiKey: '${OPERATOR_TOKEN}', team: 'ENG' },
      { apiKey: '${TRACKER_API_KEY}', team: 'ENG', apiUrl: 'https://collector.example' },
      { team: 'ENG' },
    ]) {
      const response = await request('PUT', '/admin/tenants/acme', {
        token,
        body: tenantEntry('acme', { tracker }),
        headers: { 'if-match': '1' },
      });
      expect(response.status).toBe(403);
      const body = (await response.json()) as { error: string; issues: { path: string }[] };
      expect(body.error).toBe('only the operator can change these fields');
      expect(body.issues.map((issue) => issue.path)).toEqual([
        Object.keys(tracker).includes('apiUrl') ? 'tracker.apiUrl' : 'tracker.apiKey',
      ]);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('needs If-Match (428), refuses a stale one (412 with the current version) and changes nothing', async () => {
    const { request, create, snapshot } = deployment();
    await create('acme');
    await request('PUT', '/admin/tenants/acme', {
      token: OPERATOR,
      body: changedEntry('acme'),
      headers: { 'if-match': '1' },
    });
    const before = await snapshot();
    const missing = await request('PUT', '/admin/tenants/acme', {
      token: OPERATOR,
      body: tenantEntry('acme'),
    });
    expect(missing.status).toBe(428);
    const stale = await request('PUT', '/admin/tenants/acme', {
      token: OPERATOR,
      body: tenantEntry('acme'),
      headers: { 'if-match': '1' },
    });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toEqual({ error: expect.stringContaining('read it again'), version: 2 });
    const malformed = await request('PUT', '/admin/tenants/acme', {
      token: OPERATOR,
      body: tenantEntry('acme'),
      headers: { 'if-match': 'W/"2"' },
    });
    expect(malformed.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a body whose id names another tenant (422)', async () => {
    const { request, create, snapshot } = deployment();
    await create('acme');
    const before = await snapshot();
    const response = await request('PUT', '/admin/tenants/acme', {
      token: OPERATOR,
      body: tenantEntry('beta'),
      headers: { 'if-match': '1' },
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ issues: [{ path: 'id' }] });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a tenant of the config (409): it is changed in the config', async () => {
    const { request } = deployment();
    for (const token of [OPERATOR, PINNED_ADMIN]) {
      const response = await request('PUT', '/admin/tenants/pinned', {
        token,
        body: tenantEntry('pinned'),
        headers: { 'if-match': '1' },
      });
      expect(response.status).toBe(409);
      expect(await response.json()).toEqual({
        error: `tenant "pinned" is defined in the deployment's config; change it there`,
      });
    }
  });
});

describe('DELETE /admin/tenants/:tenant removes a stored tenant', () => {
  it('removes it, cleans up after it, and its admin token opens nothing any more', async () => {
    const { request, create, removed, changed, registry } = deployment();
    const token = await create('acme');
    expect((await request('GET', '/t/acme/status.json', { token })).status).toBe(200);
    const response = await request('DELETE', '/admin/tenants/acme', { token: OPERATOR });
    expect(response.status).toBe(204);
    expect(removed).toEqual(['acme']);
    expect(changed).toEqual(['acme', 'acme']);
    const list = await request('GET', '/admin/tenants', { token: OPERATOR });
    expect(await list.json()).toEqual({ tenants: [{ id: 'pinned', origin: 'config' }] });
    expect(await registry.get('acme')).toBeUndefined();
    expect((await request('GET', '/admin/tenants/acme', { token })).status).toBe(401);
    expect((await request('GET', '/t/acme/status.json', { token })).status).toBe(404);
  });

  it('is the operator’s alone: the tenant’s own admin token is refused (401)', async () => {
    const { request, create, snapshot } = deployment();
    const token = await create('acme');
    const before = await snapshot();
    expect((await request('DELETE', '/admin/tenants/acme', { token })).status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a tenant of the config (409) and answers an unknown one with 404', async () => {
    const { request, removed } = deployment();
    expect((await request('DELETE', '/admin/tenants/pinned', { token: OPERATOR })).status).toBe(409);
    expect((await request('DELETE', '/admin/tenants/ghost', { token: OPERATOR })).status).toBe(404);
    expect(removed).toEqual([]);
  });
});

describe('POST /admin/tenants/:tenant/admin-token issues a new admin token', () => {
  it('replaces the token: the old one and every session signed in with it end', async () => {
    const { request, create, app, directory, store } = deployment();
    const old = await create('acme');
    const login = await app.request(`${ORIGIN}/t/acme/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: old }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect((await request('GET', '/t/acme/status.json', { headers: { cookie } })).status).toBe(200);

    const response = await request('POST', '/admin/tenants/acme/admin-token', { token: OPERATOR });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { adminToken } = (await response.json()) as { adminToken: string };
    expect(adminToken).not.toBe(old);
    expect((await directory.get('acme'))?.adminTokenSha256).toBe(await sha256Hex(adminToken));
    expect(await store.getDocument('acme', 'admin-sessions')).toMatchObject({ value: { epoch: 1 } });

    expect((await request('GET', '/t/acme/status.json', { token: old })).status).toBe(401);
    expect((await request('GET', '/admin/tenants/acme', { token: old })).status).toBe(401);
    expect((await request('GET', '/t/acme/status.json', { headers: { cookie } })).status).toBe(401);
    expect((await request('GET', '/t/acme/status.json', { token: adminToken })).status).toBe(200);
  });

  it('refuses a tenant of the config (409), an unknown one (404), and the tenant’s own token (401)', async () => {
    const { request, create } = deployment();
    const token = await create('acme');
    expect((await request('POST', '/admin/tenants/pinned/admin-token', { token: OPERATOR })).status).toBe(
      409,
    );
    expect((await request('POST', '/admin/tenants/ghost/admin-token', { token: OPERATOR })).status).toBe(404);
    expect((await request('POST', '/admin/tenants/acme/admin-token', { token })).status).toBe(401);
    expect((await request('GET', '/t/acme/status.json', { token })).status).toBe(200);
  });
});

describe('GET /admin/tenants/:tenant/connections', () => {
  it('shows each provider’s state with its status fields, and why the tenant refuses work', async () => {
    const { request, create } = deployment();
    const token = await create('acme');
    const response = await request('GET', '/admin/tenants/acme/connections', { token });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      tenant: 'acme',
      providers: [{ provider: 'tracker', role: 'intake', state: 'needs-auth', reason: 'not signed in' }],
      refusal: expect.stringContaining('tracker (intake) needs authorisation'),
    });
  });
});

describe('a stored tenant whose config no longer builds', () => {
  it('can still be read and fixed through the API; its connection table says it is not running (503)', async () => {
    const { request, create, directory } = deployment();
    const token = await create('acme');
    await directory.update('acme', { ...(await directory.get('acme'))?.config, unbuildable: true }, 1);
    const table = await request('GET', '/admin/tenants/acme/connections', { token });
    expect(table.status).toBe(503);
    expect(await table.json()).toEqual({ error: expect.stringContaining('could not be started') });
    expect((await request('GET', '/admin/tenants/acme', { token })).status).toBe(200);
    const fixed = await request('PUT', '/admin/tenants/acme', {
      token,
      body: tenantEntry('acme'),
      headers: { 'if-match': '2' },
    });
    expect(fixed.status).toBe(200);
    expect((await request('GET', '/admin/tenants/acme/connections', { token })).status).toBe(200);
  });
});

describe('isolation: one tenant’s admin token is no key to another tenant', () => {
  it('cannot read, change, list or sign in for another tenant, nor the config tenant', async () => {
    const { request, create, snapshot, connectorOf } = deployment();
    const acme = await create('acme');
    await create('beta');
    const before = await snapshot();
    const attempts = [
      ['GET', '/admin/tenants/beta'],
      ['PUT', '/admin/tenants/beta'],
      ['GET', '/admin/tenants/beta/connections'],
      ['POST', '/admin/tenants/beta/connect/tracker'],
      ['GET', '/admin/tenants/beta/connect/tracker'],
      ['GET', '/admin/tenants/pinned'],
      ['GET', '/admin/tenants'],
      ['POST', '/admin/tenants'],
    ] as const;
    // Each from its own address, so the throttle (which has its own tests) stays out of the way.
    for (const [index, [method, path]] of attempts.entries()) {
      const response = await request(method, path, {
        token: acme,
        ...(method === 'GET' ? {} : { body: tenantEntry('beta') }),
        headers: { 'if-match': '1', 'x-test-peer': `192.0.2.${index + 1}` },
      });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(JSON.stringify(await response.json())).not.toContain('beta');
    }
    expect(await snapshot()).toEqual(before);
    expect(connectorOf('beta').issued.size).toBe(0);
    expect((await request('GET', '/t/beta/status.json', { token: acme })).status).toBe(401);
  });
});

describe('the routes answer other methods with 405', () => {
  it('names the methods a path takes', async () => {
    const { request } = deployment();
    for (const [method, path, allow] of [
      ['PATCH', '/admin/tenants', 'GET, POST'],
      ['POST', '/admin/tenants/acme', 'GET, PUT, DELETE'],
      ['GET', '/admin/tenants/acme/admin-token', 'POST'],
      ['DELETE', '/admin/tenants/acme/connections', 'GET'],
      ['PUT', '/admin/tenants/acme/connect/tracker', 'GET, POST'],
    ] as const) {
      const response = await request(method, path, { token: OPERATOR });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
      expect(await response.json()).toEqual({ error: `method not allowed; this path takes ${allow}` });
    }
  });
});
