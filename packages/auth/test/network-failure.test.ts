import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthFlowError,
  authorizeWithDeviceCode,
  authorizeWithPkce,
  githubOAuth,
  linearOAuth,
  RelayfileCredentialStore,
  refreshCredential,
  unreachableHost,
} from '../src/index.ts';
import { capture, rejectionOf } from './support/capture.ts';
import {
  browse,
  CLIENT_ID,
  CLIENT_SECRET,
  type LoopbackOAuthServer,
  startLoopbackOAuthServer,
} from './support/loopback-oauth-server.ts';
import {
  CLOUD_TOKEN,
  type LoopbackRelayfileCloud,
  startLoopbackRelayfileCloud,
} from './support/loopback-relayfile-cloud.ts';

let server: LoopbackOAuthServer;
let cloud: LoopbackRelayfileCloud;
/** A port on 127.0.0.1 that nothing listens on: every connection to it is refused. */
let closedPort: number;

beforeAll(async () => {
  server = await startLoopbackOAuthServer();
  cloud = await startLoopbackRelayfileCloud();
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(async () => {
  await server.close();
  await cloud.close();
});
beforeEach(() => {
  server.authorize = 'approve';
  server.deviceSteps = ['pending', 'approve'];
  cloud.pollsBeforeReady = 1;
});

const closed = (path: string) => `http://127.0.0.1:${closedPort}${path}`;
const noWait = async () => {};

describe('a sign-in whose vendor cannot be reached names the host', () => {
  it('the device flow: the device code request refused is an `unreachable` failure naming host and port', async () => {
    const out = capture();
    const error = await rejectionOf(
      authorizeWithDeviceCode({
        provider: githubOAuth({
          deviceAuthorizationEndpoint: closed('/login/device/code'),
          tokenEndpoint: closed('/login/oauth/access_token'),
        }),
        clientId: CLIENT_ID,
        context: { print: out.print, openUrl: noWait },
        sleep: noWait,
      }),
    );

    expect(error).toBeInstanceOf(AuthFlowError);
    expect((error as AuthFlowError).failure).toBe('unreachable');
    expect(error.message).toBe(
      `cannot reach 127.0.0.1:${closedPort} (ECONNREFUSED: connection refused) for the github sign-in; check the network (or a proxy) and that address; nothing was saved`,
    );
    expect(out.printed).toEqual([]);
  });

  it('the browser flow: a token endpoint that refuses the code exchange is named, not "fetch failed"', async () => {
    const out = capture();
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth({ ...server.linear, tokenEndpoint: closed('/oauth/token') }),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        context: { print: out.print, openUrl: browse },
      }),
    );

    expect((error as AuthFlowError).failure).toBe('unreachable');
    expect(error.message).toContain(
      `cannot reach 127.0.0.1:${closedPort} (ECONNREFUSED: connection refused)`,
    );
    expect(error.message).not.toContain('fetch failed');
  });

  it('a refresh against an unreachable token endpoint names the host too', async () => {
    const error = await rejectionOf(
      refreshCredential(
        { accessToken: 'old-access', refreshToken: 'old-refresh', scopes: ['read'], tokenType: 'bearer' },
        {
          provider: linearOAuth({ ...server.linear, tokenEndpoint: closed('/oauth/token') }),
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
        },
      ),
    );
    expect((error as AuthFlowError).failure).toBe('unreachable');
    expect(error.message).toContain(`cannot reach 127.0.0.1:${closedPort}`);
    expect(error.message).not.toContain('old-refresh');
  });

  it("relayfile's cloud refusing the connection is named in the connect failure", async () => {
    const store = new RelayfileCredentialStore({
      cloudApiUrl: closed('/cloud'),
      accessToken: CLOUD_TOKEN,
      workspaceFor: () => 'ws_acme',
      retry: { maxRetries: 0, baseDelayMs: 1 },
    });
    const error = await rejectionOf(store.connect('acme', 'linear', { print: () => {}, openUrl: noWait }));
    expect(error.message).toBe(
      `relayfile join of workspace ws_acme failed: cannot reach 127.0.0.1:${closedPort} (ECONNREFUSED: connection refused)`,
    );
    expect(error.message).not.toContain(CLOUD_TOKEN);
  });
});

describe('unreachableHost reads the failures fetch reports', () => {
  // The shapes undici gives: TypeError('fetch failed') whose cause is the system error.
  const fetchFailed = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });

  it('names the host of the URL asked for, with the system error code (ENOTFOUND)', () => {
    const cause = Object.assign(new Error('getaddrinfo ENOTFOUND api.linear.app'), {
      code: 'ENOTFOUND',
      hostname: 'api.linear.app',
    });
    expect(
      unreachableHost(fetchFailed(cause), 'https://api.linear.app/oauth/token?code=secret')?.message,
    ).toBe('cannot reach api.linear.app (ENOTFOUND: no such host)');
  });

  it('without a URL, names the host or address the system error carries', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), {
      code: 'ECONNREFUSED',
      address: '10.0.0.7',
      port: 443,
    });
    // Happy eyeballs: several addresses tried, an AggregateError of their failures.
    const aggregate = Object.assign(new AggregateError([refused], ''), { code: 'ECONNREFUSED' });
    expect(unreachableHost(fetchFailed(aggregate))?.message).toBe(
      'cannot reach 10.0.0.7:443 (ECONNREFUSED: connection refused)',
    );
  });

  it('is undefined for what is not a network failure: an abort, an HTTP error, a plain error', () => {
    expect(unreachableHost(new DOMException('aborted', 'AbortError'), 'https://x.example')).toBeUndefined();
    expect(unreachableHost(new Error('HTTP 500'), 'https://x.example')).toBeUndefined();
    expect(unreachableHost(fetchFailed(new Error('bad header')), 'https://x.example')).toBeUndefined();
  });
});

describe('the person is told how long the sign-in waits and that Ctrl-C cancels it', () => {
  it('the browser flow: up to five minutes by default', async () => {
    const out = capture();
    await authorizeWithPkce({
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      context: { print: out.print, openUrl: browse },
    });
    expect(out.printed).toContain(
      'Waiting up to 5 min for the browser to come back here; Ctrl-C cancels (nothing is saved).',
    );
  });

  it('the device flow: until the device code expires (15 min at GitHub)', async () => {
    const out = capture();
    await authorizeWithDeviceCode({
      provider: githubOAuth(server.github),
      clientId: CLIENT_ID,
      context: { print: out.print, openUrl: noWait },
      sleep: noWait,
    });
    expect(out.printed[1]).toBe(
      'Waiting up to 15 min for the code to be entered (it expires then); Ctrl-C cancels (nothing is saved).',
    );
  });

  it("relayfile's connect session: up to ten minutes, asking every two seconds", async () => {
    const out = capture();
    const store = new RelayfileCredentialStore({
      cloudApiUrl: cloud.cloudApiUrl,
      accessToken: CLOUD_TOKEN,
      workspaceFor: () => 'ws_waits',
      retry: { maxRetries: 0, baseDelayMs: 1 },
      sleep: noWait,
    });
    await store.connect('acme', 'linear', {
      print: out.print,
      openUrl: async (url) => void (await (await fetch(url)).text()),
    });
    expect(out.printed).toContain(
      'Waiting up to 10 min for relayfile to report linear connected (asking every 2 s); Ctrl-C cancels.',
    );
  });
});
