import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthFlowError, authorizeWithDeviceCode, githubOAuth } from '../src/index.ts';
import { capture, expectNoSecrets, rejectionOf } from './support/capture.ts';
import {
  CLIENT_ID,
  type LoopbackOAuthServer,
  startLoopbackOAuthServer,
} from './support/loopback-oauth-server.ts';

let server: LoopbackOAuthServer;
beforeAll(async () => {
  server = await startLoopbackOAuthServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.deviceSteps = ['approve'];
});

/** Records the waits instead of waiting. */
function recordedSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

function polls(): number {
  return server.requests.filter((request) => request.path === '/github/login/oauth/access_token').length;
}

describe('the device authorization grant against GitHub', () => {
  it('shows the code, waits through authorization_pending and slow_down (the interval grows), then connects', async () => {
    server.deviceSteps = ['pending', 'slow_down', 'pending', 'approve'];
    const out = capture();
    const opened: string[] = [];
    const { waits, sleep } = recordedSleep();

    const credential = await authorizeWithDeviceCode({
      provider: githubOAuth(server.github),
      clientId: CLIENT_ID,
      context: { print: out.print, openUrl: async (url) => void opened.push(url) },
      sleep,
      logger: out.logger,
    });

    expect(credential.accessToken).toMatch(/^gho_/);
    expect(credential.scopes).toEqual(['repo']);
    expect(credential.tokenType).toBe('bearer');
    // 5 s as GitHub said, 5 s again after "pending", 10 s from the slow_down on.
    expect(waits).toEqual([5_000, 5_000, 10_000, 10_000]);
    expect(polls()).toBe(4);
    expect(opened).toEqual([`${server.url}/github/login/device`]);
    expect(out.printed[0]).toBe(
      `To connect github, open ${server.url}/github/login/device and enter the code WDJB-MJHT (scopes: repo).`,
    );
    expectNoSecrets(out.everything(), server.secrets());
  });

  it('asks GitHub for JSON; without that header GitHub (and the loopback) answer form-encoded', async () => {
    await authorizeWithDeviceCode({
      provider: githubOAuth(server.github),
      clientId: CLIENT_ID,
      context: { print: () => {}, openUrl: async () => {} },
      sleep: async () => {},
    });
    const calls = server.requests.filter((request) => request.path.startsWith('/github/login/'));
    expect(calls.length).toBe(2);
    for (const call of calls) expect(call.headers.accept).toContain('application/json');

    const bare = await fetch(`${server.url}/github/login/device/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT_ID, scope: 'repo' }).toString(),
    });
    expect(bare.headers.get('content-type')).toContain('application/x-www-form-urlencoded');
    expect(new URLSearchParams(await bare.text()).get('user_code')).toBe('WDJB-MJHT');
  });

  it('requests exactly the scopes given, space-separated as GitHub documents', async () => {
    const credential = await authorizeWithDeviceCode({
      provider: githubOAuth(server.github),
      clientId: CLIENT_ID,
      scopes: ['repo', 'read:org'],
      context: { print: () => {}, openUrl: async () => {} },
      sleep: async () => {},
    });
    const start = server.requests.find((request) => request.path === '/github/login/device/code');
    expect(start?.form.scope).toBe('repo read:org');
    expect(credential.scopes).toEqual(['repo', 'read:org']);
  });

  it('reports a denied grant (access_denied) and stops polling', async () => {
    server.deviceSteps = ['pending', 'deny'];
    const out = capture();
    const error = await rejectionOf(
      authorizeWithDeviceCode({
        provider: githubOAuth(server.github),
        clientId: CLIENT_ID,
        context: { print: out.print, openUrl: async () => {} },
        sleep: async () => {},
        logger: out.logger,
      }),
    );
    out.error(error);
    expect(error).toBeInstanceOf(AuthFlowError);
    expect((error as AuthFlowError).failure).toBe('access-denied');
    expect(error.message).toBe(
      'the github authorization was denied (access_denied); nothing was saved. Run the connect again and approve the scopes repo',
    );
    expect(polls()).toBe(2);
    expectNoSecrets(out.everything(), server.secrets());
  });

  it('reports an expired device code (expired_token)', async () => {
    server.deviceSteps = ['pending', 'pending', 'expire'];
    const error = await rejectionOf(
      authorizeWithDeviceCode({
        provider: githubOAuth(server.github),
        clientId: CLIENT_ID,
        context: { print: () => {}, openUrl: async () => {} },
        sleep: async () => {},
      }),
    );
    expect((error as AuthFlowError).failure).toBe('expired');
    expect(error.message).toContain('expired before it was approved (expired_token)');
    expect(polls()).toBe(3);
  });

  it('stops on its own once expires_in has passed, even if the server keeps saying pending', async () => {
    server.deviceSteps = ['pending'];
    const { waits, sleep } = recordedSleep();
    const error = await rejectionOf(
      authorizeWithDeviceCode({
        provider: githubOAuth(server.github),
        clientId: CLIENT_ID,
        context: { print: () => {}, openUrl: async () => {} },
        sleep,
      }),
    );
    expect((error as AuthFlowError).failure).toBe('expired');
    // 900 s of life at 5 s per poll.
    expect(waits.length).toBe(180);
    expect(polls()).toBe(180);
  });

  it('stops when the context is aborted between polls', async () => {
    server.deviceSteps = ['pending'];
    const controller = new AbortController();
    let waited = 0;
    const error = await rejectionOf(
      authorizeWithDeviceCode({
        provider: githubOAuth(server.github),
        clientId: CLIENT_ID,
        context: { print: () => {}, openUrl: async () => {}, signal: controller.signal },
        sleep: async (_ms, signal) => {
          waited += 1;
          if (waited === 3) controller.abort();
          if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
        },
      }),
    );
    expect((error as AuthFlowError).failure).toBe('aborted');
    expect(polls()).toBe(2);
  });

  it('reports an unknown client with the vendor error code', async () => {
    const error = await rejectionOf(
      authorizeWithDeviceCode({
        provider: githubOAuth(server.github),
        clientId: 'someone-else',
        context: { print: () => {}, openUrl: async () => {} },
        sleep: async () => {},
      }),
    );
    expect((error as AuthFlowError).failure).toBe('token-request-failed');
    expect(error.message).toContain('unauthorized_client');
  });

  it('refuses bad options before calling GitHub', async () => {
    const error = await rejectionOf(
      authorizeWithDeviceCode({
        provider: githubOAuth(server.github),
        clientId: '',
        scopes: [],
        context: { print: () => {}, openUrl: async () => {} },
      }),
    );
    expect(error.message).toBe(
      'invalid github device authorization options: clientId: clientId is required; scopes: request at least one scope',
    );
    expect(server.requests).toEqual([]);
  });

  it('refuses a provider without a device endpoint', async () => {
    const { deviceAuthorizationEndpoint: _none, ...rest } = githubOAuth(server.github);
    const error = await rejectionOf(
      authorizeWithDeviceCode({
        provider: rest,
        clientId: CLIENT_ID,
        context: { print: () => {}, openUrl: async () => {} },
      }),
    );
    expect(error.message).toContain('github has no device authorization endpoint');
  });
});
