// biome-ignore-all lint/suspicious/noTemplateCurlyInString: a server message quotes a ${REFERENCE} literally.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdminClient } from '../src/remote/admin-client.ts';
import { RemoteError } from '../src/remote/remote-error.ts';
import { parseRemoteUrl } from '../src/remote/remote-url.ts';
import { json, type RecordingServer, startRecordingServer } from './support/recording-server.ts';

const TOKEN = 'operator-token-0123456789abcdefghijklmnop';
let server: RecordingServer;
let client: AdminClient;
let host: string;

beforeAll(async () => {
  server = await startRecordingServer();
  host = new URL(server.url).host;
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  client = new AdminClient({
    base: parseRemoteUrl(server.url),
    token: { value: TOKEN, variable: 'FACTORY_OPERATOR_TOKEN' },
    timeoutMs: 1_000,
  });
});

/** What the call rejected with, as a RemoteError. */
async function refusal(call: Promise<unknown>): Promise<RemoteError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RemoteError);
  const remote = error as RemoteError;
  expect(remote.message).not.toContain(TOKEN);
  for (const detail of remote.details) expect(detail).not.toContain(TOKEN);
  return remote;
}

describe('AdminClient', () => {
  it('carries the token as a bearer and sends the tenant as JSON', async () => {
    server.answer = (_request, response) =>
      json(response, 201, { id: 'acme', version: 1, adminToken: 'a'.repeat(40) });

    const created = await client.addTenant({ id: 'acme', intentProvider: 'linear' });

    expect(created).toEqual({ id: 'acme', version: 1, adminToken: 'a'.repeat(40) });
    expect(server.requests).toEqual([
      {
        method: 'POST',
        path: '/admin/tenants',
        authorization: `Bearer ${TOKEN}`,
        body: JSON.stringify({ id: 'acme', intentProvider: 'linear' }),
      },
    ]);
  });

  it('names the host, the call and the status, with each problem of a refused config as a line', async () => {
    server.answer = (_request, response) =>
      json(response, 422, {
        error: 'invalid tenant config',
        issues: [
          { path: 'intentProvider.apiKey', message: 'a secret must be a ${REFERENCE}' },
          { path: 'fleet', message: 'Required' },
        ],
      });

    const error = await refusal(client.addTenant({ id: 'acme' }));

    expect(error.message).toBe(`${host} answered 422 to POST /admin/tenants: invalid tenant config`);
    expect(error.details).toEqual([
      'intentProvider.apiKey: a secret must be a ${REFERENCE}',
      'fleet: Required',
    ]);
    expect(error.status).toBe(422);
    expect(error.exitCode).toBe(1);
  });

  it('says which variable held a refused token, and never repeats the token the server echoed', async () => {
    server.answer = (_request, response) => json(response, 401, { error: `token ${TOKEN} is not known` });

    const error = await refusal(client.listTenants());

    expect(error.message).toBe(
      `${host} answered 401 to GET /admin/tenants: token [redacted] is not known; the token in FACTORY_OPERATOR_TOKEN was not accepted`,
    );
  });

  it('passes on how long a throttled caller must wait', async () => {
    server.answer = (_request, response) =>
      json(response, 429, { error: 'too many requests' }, { 'retry-after': '17' });

    const error = await refusal(client.connections('acme'));

    expect(error.message).toBe(
      `${host} answered 429 to GET /admin/tenants/acme/connections: too many requests; try again in 17 s`,
    );
    expect(error.retryAfterSeconds).toBe(17);
    expect(error.transient).toBe(true);
  });

  it('gives the stored version of a config changed meanwhile (412)', async () => {
    server.answer = (_request, response) => json(response, 412, { error: 'version mismatch', version: 4 });
    const error = await refusal(client.getTenant('acme'));
    expect(error.message).toContain('version mismatch; the stored version is 4');
  });

  it('does not follow a redirect: the token goes to the address given and nowhere else', async () => {
    server.answer = (request, response) => {
      if (request.path === '/elsewhere') return json(response, 200, { tenants: [] });
      response.writeHead(302, { location: `${server.url}/elsewhere` });
      response.end();
    };

    const error = await refusal(client.listTenants());

    expect(error.message).toBe(
      `${host} answered 302 to GET /admin/tenants: a redirect to ${host}, not followed; give --remote the address it redirects to`,
    );
    expect(server.requests.map((request) => request.path)).toEqual(['/admin/tenants']);
  });

  it('stops reading an answer larger than 1 MiB', async () => {
    server.answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      // No content-length: the limit is enforced while reading.
      const chunk = `"${'x'.repeat(64 * 1024)}",`;
      response.write('{"tenants":[');
      for (let sent = 0; sent < 2 * 1024 * 1024; sent += chunk.length) response.write(chunk);
      response.end('""]}');
    };

    const error = await refusal(client.listTenants());

    expect(error.message).toBe(
      `${host} answered GET /admin/tenants with more than 1 MiB; is --remote the factory's URL?`,
    );
  });

  it.each([
    ['an HTML page', 'text/html', '<html>hello</html>', 'with text/html, not what'],
    ['text that is not JSON', 'application/json', '{"tenants": [', 'with a body that is not JSON'],
    [
      'JSON of another shape',
      'application/json',
      '{"tenants": "acme"}',
      'with JSON of another shape (tenants: ',
    ],
  ])('refuses %s where the admin API answers', async (_what, type, body, message) => {
    server.answer = (_request, response) => {
      response.writeHead(200, { 'content-type': type });
      response.end(body);
    };
    const error = await refusal(client.listTenants());
    expect(error.message).toContain(`${host} answered GET /admin/tenants ${message}`);
    expect(error.message).toContain("is --remote the factory's URL?");
  });

  it('shows a server error without the control characters it holds', async () => {
    server.answer = (_request, response) =>
      json(response, 404, { error: 'no tenant \u001b[31mglobex\u001b[0m\nhere' });
    const error = await refusal(client.getTenant('globex'));
    expect(error.message).toBe(
      `${host} answered 404 to GET /admin/tenants/globex: no tenant [31mglobex [0m here`,
    );
  });

  it('gives up on a server that does not answer in time, naming it', async () => {
    server.answer = () => {};
    const error = await refusal(client.listTenants());
    expect(error.message).toBe(`${host} did not answer GET /admin/tenants within 1 s`);
  });

  it('names a host that cannot be reached', async () => {
    const closed = await startRecordingServer();
    const url = closed.url;
    await closed.close();
    const unreachable = new AdminClient({
      base: parseRemoteUrl(url),
      token: { value: TOKEN, variable: 'FACTORY_OPERATOR_TOKEN' },
    });
    const error = await refusal(unreachable.listTenants());
    expect(error.message).toBe(
      `cannot reach ${new URL(url).host} (ECONNREFUSED: connection refused); check --remote and the network`,
    );
  });

  it('asks for a remote sign-in and its progress under the tenant and provider', async () => {
    server.answer = (request, response) =>
      request.method === 'POST'
        ? json(response, 201, {
            flow: 'device',
            provider: 'github',
            verificationUri: 'https://github.example/login/device',
            userCode: 'WDJB-MJHT',
            scopes: ['repo'],
            expiresAt: Date.now() + 60_000,
            intervalSeconds: 5,
          })
        : json(response, 200, { state: 'pending', flow: 'device', expiresAt: Date.now() + 60_000 });

    expect((await client.beginConnect('acme', 'github', ['repo'])).flow).toBe('device');
    expect((await client.connectProgress('acme', 'github')).state).toBe('pending');
    expect(server.requests.map(({ method, path, body }) => ({ method, path, body }))).toEqual([
      { method: 'POST', path: '/admin/tenants/acme/connect/github', body: '{"scopes":["repo"]}' },
      { method: 'GET', path: '/admin/tenants/acme/connect/github', body: '' },
    ]);
  });
});
