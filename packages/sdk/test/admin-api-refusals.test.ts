// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs hold ${NAME} references literally.
import { describe, expect, it } from 'vitest';
import { JSON_MAX_BYTES } from '../src/index.ts';
import {
  type Deployment,
  deployment,
  OPERATOR,
  ORIGIN,
  PINNED_ADMIN,
  tenantEntry,
} from './support/admin-api-fixture.ts';

// Bad input on every admin route: a clear 4xx, the same 401 whoever is refused, and nothing stored.

interface Route {
  name: string;
  method: string;
  /** The path naming `tenant` (ignored by the routes that name none). */
  path: (tenant: string) => string;
  /** Whether the named tenant's own admin token is let in (else the operator's alone). */
  tenantAdmin: boolean;
  names: boolean;
  body?: (tenant: string) => unknown;
  headers?: Record<string, string>;
}

const ROUTES: Route[] = [
  { name: 'list', method: 'GET', path: () => '/admin/tenants', tenantAdmin: false, names: false },
  {
    name: 'create',
    method: 'POST',
    path: () => '/admin/tenants',
    tenantAdmin: false,
    names: false,
    body: () => tenantEntry('newco'),
  },
  { name: 'read', method: 'GET', path: (t) => `/admin/tenants/${t}`, tenantAdmin: true, names: true },
  {
    name: 'update',
    method: 'PUT',
    path: (t) => `/admin/tenants/${t}`,
    tenantAdmin: true,
    names: true,
    body: (t) => tenantEntry(t, { routes: [] }),
    headers: { 'if-match': '1' },
  },
  { name: 'delete', method: 'DELETE', path: (t) => `/admin/tenants/${t}`, tenantAdmin: false, names: true },
  {
    name: 'new admin token',
    method: 'POST',
    path: (t) => `/admin/tenants/${t}/admin-token`,
    tenantAdmin: false,
    names: true,
  },
  {
    name: 'connections',
    method: 'GET',
    path: (t) => `/admin/tenants/${t}/connections`,
    tenantAdmin: true,
    names: true,
  },
  {
    name: 'start a sign-in',
    method: 'POST',
    path: (t) => `/admin/tenants/${t}/connect/tracker`,
    tenantAdmin: true,
    names: true,
    body: () => ({ scopes: ['read'] }),
  },
  {
    name: 'sign-in progress',
    method: 'GET',
    path: (t) => `/admin/tenants/${t}/connect/tracker`,
    tenantAdmin: true,
    names: true,
  },
];

/** Two stored tenants; what must not change, and a way to check it did not. */
async function twoTenants() {
  const d = deployment();
  const tokens = { acme: await d.create('acme'), beta: await d.create('beta') };
  const before = await d.snapshot();
  const writesBefore = d.store.writes.length;
  const unchanged = async () => {
    expect(await d.snapshot()).toEqual(before);
    expect(d.store.writes.slice(writesBefore)).toEqual([]);
    expect(d.connectorOf('acme').issued.size).toBe(0);
    expect(d.removed).toEqual([]);
  };
  return { ...d, tokens, unchanged };
}

function send(d: Deployment, route: Route, tenant: string, init: { token?: string; peer?: string } = {}) {
  const body = route.body?.(tenant);
  return d.request(route.method, route.path(tenant), {
    ...(init.token !== undefined ? { token: init.token } : {}),
    ...(body !== undefined ? { body } : {}),
    headers: { ...route.headers, 'x-test-peer': init.peer ?? '198.51.100.1' },
  });
}

describe.each(ROUTES)('$method $name refuses whoever may not call it, and stores nothing', (route) => {
  it('without a token: 401', async () => {
    const d = await twoTenants();
    const response = await send(d, route, 'acme');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: route.tenantAdmin ? 'an operator or admin token is required' : 'an operator token is required',
    });
    await d.unchanged();
  });

  it('with a wrong token, another tenant’s admin token or a config tenant’s: the same 401', async () => {
    const d = await twoTenants();
    const answers = [];
    for (const [index, token] of [`${OPERATOR}x`, d.tokens.beta, PINNED_ADMIN, 'Basic nope'].entries()) {
      const response = await send(d, route, 'acme', { token, peer: `198.51.100.${index + 10}` });
      expect(response.status, token).toBe(401);
      answers.push(await response.json());
    }
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    await d.unchanged();
  });

  if (!route.tenantAdmin)
    it('with the tenant’s own admin token: 401, the operator’s route', async () => {
      const d = await twoTenants();
      expect((await send(d, route, 'acme', { token: d.tokens.acme })).status).toBe(401);
      await d.unchanged();
    });

  it('throttles wrong tokens: after five from one address even the right one waits (429)', async () => {
    const d = await twoTenants();
    const peer = '203.0.113.7';
    for (let n = 0; n < 6; n++)
      expect((await send(d, route, 'acme', { token: 'a-wrong-guess', peer })).status).toBe(401);
    const blocked = await send(d, route, 'acme', { token: OPERATOR, peer });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    await d.unchanged();
    // Another address is not held back; the log names the address, never a token.
    const elsewhere = await d.request('GET', '/admin/tenants', {
      token: OPERATOR,
      headers: { 'x-test-peer': '203.0.113.8' },
    });
    expect(elsewhere.status).toBe(200);
    expect(d.logger.lines).toContainEqual(
      expect.objectContaining({
        message: 'wrong admin token',
        fields: expect.objectContaining({ client: peer }),
      }),
    );
    expect(JSON.stringify(d.logger.lines)).not.toContain('a-wrong-guess');
  });

  if (route.names) {
    it('answers an unknown tenant with 404 to the operator, and with the wrong token’s 401 to anyone else', async () => {
      const d = await twoTenants();
      const operator = await send(d, route, 'ghost', { token: OPERATOR });
      expect(operator.status).toBe(404);
      expect(await operator.json()).toEqual({ error: 'unknown tenant' });
      const wrongOnKnown = await send(d, route, 'beta', { token: d.tokens.acme, peer: '198.51.100.30' });
      const onUnknown = await send(d, route, 'ghost', { token: d.tokens.acme, peer: '198.51.100.31' });
      expect(onUnknown.status).toBe(401);
      expect(await onUnknown.json()).toEqual(await wrongOnKnown.json());
      await d.unchanged();
    });
  }
});

const BODY_ROUTES = ROUTES.filter((route) => route.body);

describe.each(BODY_ROUTES)('$method $name reads its JSON body under a cap', (route) => {
  const withBody = (d: Deployment, body: BodyInit, headers: Record<string, string>) =>
    d.app.request(`${ORIGIN}${route.path('acme')}`, {
      method: route.method,
      body,
      headers: { authorization: `Bearer ${OPERATOR}`, ...route.headers, ...headers },
    });

  it('refuses another content type (415) unread', async () => {
    const d = await twoTenants();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await withBody(d, JSON.stringify(route.body?.('acme')), { 'content-type': type });
      expect(response.status, type).toBe(415);
      expect(await response.json()).toEqual({ error: expect.stringContaining('expected application/json') });
    }
    await d.unchanged();
  });

  it('refuses JSON that does not parse (400), and does not quote it back', async () => {
    const d = await twoTenants();
    const response = await withBody(d, '{"tracker": {"apiKey": lin_api_SECRET', {
      'content-type': 'application/json',
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('not valid JSON');
    expect(text).not.toContain('lin_api_SECRET');
    await d.unchanged();
  });

  it(`refuses a body over ${JSON_MAX_BYTES} bytes (413), declared or streamed`, async () => {
    const d = await twoTenants();
    const big = JSON.stringify({ ...tenantEntry('acme'), padding: 'x'.repeat(JSON_MAX_BYTES) });
    expect((await withBody(d, big, { 'content-type': 'application/json' })).status).toBe(413);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (pulled > 8 * JSON_MAX_BYTES) return controller.close();
          pulled += 1024;
          controller.enqueue(new TextEncoder().encode(' '.repeat(1024)));
        },
      },
      { highWaterMark: 0 },
    );
    const streamed = await d.app.request(`${ORIGIN}${route.path('acme')}`, {
      method: route.method,
      body: stream,
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json', ...route.headers },
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(JSON_MAX_BYTES + 2048);
    await d.unchanged();
  });
});

describe.each(BODY_ROUTES.filter((route) => route.method === 'PUT' || route.name === 'create'))(
  '$method $name validates the config as the deployment would run it',
  (route) => {
    const send = (d: Deployment, body: unknown) =>
      d.request(route.method, route.path('acme'), { token: OPERATOR, body, headers: route.headers });

    it('refuses an invalid config (422) with the path of each problem', async () => {
      const d = await twoTenants();
      const response = await send(d, tenantEntry('acme', { intentProvider: 'nothing', routes: 'all' }));
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({
        error: 'invalid tenant config',
        issues: [
          { path: 'intentProvider', message: 'unknown provider; expected "tracker"' },
          { path: 'routes', message: 'expected a list of routes' },
        ],
      });
      await d.unchanged();
    });

    it('refuses a secret in clear text where a reference is required (422), and never shows it', async () => {
      const d = await twoTenants();
      const response = await send(
        d,
        tenantEntry('acme', { tracker: { apiKey: 'lin_api_live_0123456789', team: 'ENG' } }),
      );
      expect(response.status).toBe(422);
      const body = await response.text();
      expect(JSON.parse(body)).toEqual({
        error: 'invalid tenant config',
        issues: [{ path: 'tracker.apiKey', message: 'a secret must be a reference such as ${NAME}' }],
      });
      expect(body + JSON.stringify(d.logger.lines)).not.toContain('lin_api_live_0123456789');
      await d.unchanged();
    });

    it('refuses a body that is not one tenant (400)', async () => {
      const d = await twoTenants();
      for (const body of ['[]', '"acme"', 'null', '42']) {
        const response = await send(d, body);
        expect(response.status, body).toBe(400);
        expect(await response.json()).toEqual({
          error: "the body must be a JSON object: one entry of the config file's tenants: list",
        });
      }
      await d.unchanged();
    });
  },
);

describe('create names a tenant the config or the directory already has', () => {
  it('never stores a second tenant under one id', async () => {
    const d = await twoTenants();
    for (const id of ['acme', 'pinned']) {
      const response = await d.request('POST', '/admin/tenants', { token: OPERATOR, body: tenantEntry(id) });
      expect(response.status, id).toBe(409);
    }
    await d.unchanged();
  });
});
