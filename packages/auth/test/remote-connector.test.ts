import {
  createRemoteConnector,
  type RemoteProvider,
  signInDocumentName,
} from '@software-factory/auth/remote';
import {
  type ConnectionStatus,
  ConnectRefusedError,
  type ConnectStart,
  InMemoryStateStore,
  type RemoteConnector,
  SealedBox,
  StoredCredentialStore,
} from '@software-factory/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { githubOAuth, linearOAuth, slackOAuth } from '../src/index.ts';
import { type Capture, capture, expectNoSecrets, rejectionOf } from './support/capture.ts';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  consent,
  type LoopbackOAuthServer,
  startLoopbackOAuthServer,
} from './support/loopback-oauth-server.ts';
import { type CallbackApp, startCallbackApp } from './support/remote-callback-app.ts';

const START = Date.parse('2025-03-01T09:00:00Z');
const TEN_MINUTES = 10 * 60_000;

let vendor: LoopbackOAuthServer;
let app: CallbackApp;
/** The connectors the callback app serves, by tenant; each test puts its own. */
const connectors = new Map<string, RemoteConnector>();

let store: InMemoryStateStore;
let credentials: StoredCredentialStore;
let box: SealedBox;
let out: Capture;
let clock: { time: number; now(): number };
/** What each tenant's providers report from `check()` when it is not read from the store. */
let checks: Map<string, () => ConnectionStatus>;

beforeAll(async () => {
  vendor = await startLoopbackOAuthServer();
  app = await startCallbackApp(connectors);
});
afterAll(async () => {
  await app.close();
  await vendor.close();
});
beforeEach(async () => {
  vendor.authorize = 'approve';
  vendor.deviceSteps = ['approve'];
  vendor.exchangeError = undefined;
  vendor.requests.length = 0;
  connectors.clear();
  store = new InMemoryStateStore();
  box = await SealedBox.fromKey(crypto.getRandomValues(new Uint8Array(32)));
  credentials = new StoredCredentialStore(store, box);
  out = capture();
  clock = {
    time: START,
    now() {
      return this.time;
    },
  };
  checks = new Map();
});

/** A provider whose `check()` reads the tenant's stored credential, as the real ones do. */
function provider(tenant: string, name: 'linear' | 'slack' | 'github'): RemoteProvider {
  const oauth =
    name === 'linear'
      ? linearOAuth(vendor.linear)
      : name === 'slack'
        ? slackOAuth(vendor.slack)
        : githubOAuth(vendor.github);
  const requiredScopes = name === 'linear' ? ['read', 'write'] : name === 'slack' ? ['chat:write'] : ['repo'];
  return {
    name,
    oauth,
    flow: name === 'github' ? 'device' : 'authorization-code',
    client: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    requiredScopes,
    ...(name === 'linear' ? { authorizationParameters: { actor: 'app', prompt: 'consent' } } : {}),
    async check(): Promise<ConnectionStatus> {
      const override = checks.get(`${tenant}/${name}`);
      if (override) return override();
      const credential = await credentials.get(tenant, name);
      return credential
        ? { state: 'connected', grantedScopes: credential.scopes }
        : { state: 'needs-auth', reason: 'no token stored' };
    },
  };
}

/** A tenant's connector (one "instance" of the app), served by the callback app. */
function connectorFor(tenant: string): RemoteConnector {
  const connector = createRemoteConnector({
    tenant,
    store,
    box,
    credentials,
    providers: [provider(tenant, 'linear'), provider(tenant, 'slack'), provider(tenant, 'github')],
    clock,
    logger: out.logger,
  });
  connectors.set(tenant, connector);
  return connector;
}

async function beginCode(connector: RemoteConnector, tenant: string, name = 'linear') {
  const start = await connector.begin(name, { redirectUri: app.callbackUri(tenant, name) });
  if (start.flow !== 'authorization-code') throw new Error('expected an authorization code sign-in');
  return start;
}

/** The person's browser: consents at the vendor, then follows the redirect (optionally altered) to the app. */
async function signIn(start: ConnectStart & { flow: 'authorization-code' }, alter = (url: string) => url) {
  const location = await consent(start.authorizationUrl);
  const response = await fetch(alter(location));
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, location };
}

function codeExchanges(): number {
  return vendor.requests.filter(
    (request) =>
      request.path.startsWith('/linear/oauth/token') && request.form.grant_type === 'authorization_code',
  ).length;
}

function devicePolls(): number {
  return vendor.requests.filter((request) => request.path === '/github/login/oauth/access_token').length;
}

function stateOf(start: { authorizationUrl: string }): string {
  return new URL(start.authorizationUrl).searchParams.get('state') ?? '';
}

describe('remote sign-in with an authorization code', () => {
  it('connects: the browser goes to the vendor, the callback exchanges the code and stores the vendor token', async () => {
    const acme = connectorFor('acme');
    expect(await acme.progress('linear')).toEqual({ state: 'none' });

    const start = await beginCode(acme, 'acme');
    expect(start.scopes).toEqual(['read', 'write']);
    expect(start.expiresAt).toBe(START + TEN_MINUTES);
    const query = new URL(start.authorizationUrl).searchParams;
    expect(Object.fromEntries(query)).toMatchObject({
      client_id: CLIENT_ID,
      redirect_uri: app.callbackUri('acme', 'linear'),
      response_type: 'code',
      scope: 'read,write',
      code_challenge_method: 'S256',
      actor: 'app',
      prompt: 'consent',
    });
    expect(await acme.progress('linear')).toEqual({
      state: 'pending',
      flow: 'authorization-code',
      expiresAt: START + TEN_MINUTES,
    });

    const answer = await signIn(start);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toEqual({ state: 'connected', grantedScopes: ['read', 'write'] });

    const stored = await credentials.get('acme', 'linear');
    expect(stored?.accessToken).toMatch(/^lin_oauth_/);
    expect(vendor.secrets()).toContain(stored?.accessToken);
    expect(vendor.secrets()).toContain(stored?.refreshToken);
    expect(stored?.expiresAt).toBe(START + vendor.linearExpiresIn * 1000);
    expect(await acme.progress('linear')).toEqual({
      state: 'connected',
      status: { state: 'connected', grantedScopes: ['read', 'write'] },
    });
    expect(codeExchanges()).toBe(1);
  });

  it('keeps neither the state nor the verifier in the store, only the hash and the sealed verifier', async () => {
    const acme = connectorFor('acme');
    const start = await beginCode(acme, 'acme');
    await signIn(start);
    const exchange = vendor.requests.find((request) => request.form.grant_type === 'authorization_code');
    const verifier = exchange?.form.code_verifier ?? '';
    expect(verifier.length).toBeGreaterThan(40);

    const document = JSON.stringify(await store.getDocument('acme', signInDocumentName('linear')));
    expect(document).toContain('"status":"connected"');
    expect(document).not.toContain(stateOf(start));
    expect(document).not.toContain(verifier);
    // The token itself is sealed by the credential store.
    const token = (await credentials.get('acme', 'linear'))?.accessToken ?? '';
    expect(token).toMatch(/^lin_oauth_/);
    expect(JSON.stringify(await store.getDocument('acme', 'credential:linear'))).not.toContain(token);
  });

  it('refuses a state issued for another tenant, and stores nothing for the tenant it was presented to', async () => {
    const acme = connectorFor('acme');
    const globex = connectorFor('globex');
    const acmeStart = await beginCode(acme, 'acme');
    const globexStart = await beginCode(globex, 'globex');

    // The vendor sends globex's code and state to acme's callback.
    const answer = await signIn(globexStart, (url) => url.replace('/t/globex/', '/t/acme/'));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/unknown or superseded sign-in/);
    expect(await credentials.get('acme', 'linear')).toBeUndefined();
    expect(codeExchanges()).toBe(0);

    // Neither tenant's own sign-in was spent by the forgery.
    expect((await acme.progress('linear')).state).toBe('pending');
    expect((await signIn(acmeStart)).status).toBe(200);
    expect((await signIn(globexStart)).status).toBe(200);
  });

  it('refuses a state issued for another tenant even when that tenant has no sign-in under way', async () => {
    connectorFor('acme');
    const globexStart = await beginCode(connectorFor('globex'), 'globex');
    const answer = await signIn(globexStart, (url) => url.replace('/t/globex/', '/t/acme/'));
    expect(answer.status).toBe(400);
    expect(await credentials.get('acme', 'linear')).toBeUndefined();
  });

  it("refuses a sign-in record copied into another tenant's keys: it does not decrypt there", async () => {
    const acme = connectorFor('acme');
    const globex = connectorFor('globex');
    const start = await beginCode(acme, 'acme');
    const document = await store.getDocument('acme', signInDocumentName('linear'));
    await store.putDocument('globex', signInDocumentName('linear'), document?.value, 0);

    const answer = await signIn(start, (url) => url.replace('/t/acme/', '/t/globex/'));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/does not decrypt/);
    expect(await credentials.get('globex', 'linear')).toBeUndefined();
    expect(codeExchanges()).toBe(0);
    expect((await globex.progress('linear')).state).toBe('failed');
  });

  it('refuses a state issued for another provider of the same tenant', async () => {
    const acme = connectorFor('acme');
    const linearStart = await beginCode(acme, 'acme', 'linear');
    await beginCode(acme, 'acme', 'slack');
    const answer = await signIn(linearStart, (url) => url.replace('/connect/linear/', '/connect/slack/'));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/unknown or superseded sign-in/);
    expect(await credentials.get('acme', 'slack')).toBeUndefined();
    expect(await credentials.get('acme', 'linear')).toBeUndefined();
  });

  it('refuses a state used once already', async () => {
    const acme = connectorFor('acme');
    const first = await signIn(await beginCode(acme, 'acme'));
    expect(first.status).toBe(200);
    const stored = await credentials.get('acme', 'linear');

    const again = await fetch(first.location);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toMatch(/this sign-in was already used/);
    expect(await credentials.get('acme', 'linear')).toEqual(stored);
    expect(codeExchanges()).toBe(1);
  });

  it('refuses a sign-in ten minutes after it started', async () => {
    const acme = connectorFor('acme');
    const start = await beginCode(acme, 'acme');
    const location = await consent(start.authorizationUrl);
    clock.time += TEN_MINUTES;

    const answer = await fetch(location);
    expect(answer.status).toBe(410);
    expect(await credentials.get('acme', 'linear')).toBeUndefined();
    expect(codeExchanges()).toBe(0);
    expect(await acme.progress('linear')).toEqual({ state: 'expired' });
  });

  it('refuses the state of a sign-in that a newer one replaced', async () => {
    const acme = connectorFor('acme');
    const first = await beginCode(acme, 'acme');
    const second = await beginCode(acme, 'acme');
    expect(stateOf(second)).not.toBe(stateOf(first));

    const stale = await signIn(first);
    expect(stale.status).toBe(400);
    expect(stale.body.error).toMatch(/unknown or superseded sign-in/);
    expect(await credentials.get('acme', 'linear')).toBeUndefined();
    expect((await signIn(second)).status).toBe(200);
  });

  it('records a refusal at the vendor (error=access_denied) as failed, naming the error', async () => {
    const acme = connectorFor('acme');
    vendor.authorize = 'deny';
    const answer = await signIn(await beginCode(acme, 'acme'));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/linear refused the sign-in \(access_denied\)/);
    expect(await acme.progress('linear')).toEqual({
      state: 'failed',
      reason: expect.stringMatching(/access_denied/),
    });
    expect(await credentials.get('acme', 'linear')).toBeUndefined();
    expect(codeExchanges()).toBe(0);
  });

  it('believes no error= redirect that does not carry the state of the pending sign-in', async () => {
    const acme = connectorFor('acme');
    await beginCode(acme, 'acme');
    const forged = await fetch(
      `${app.callbackUri('acme', 'linear')}?error=access_denied&state=forged-state-value`,
    );
    expect(forged.status).toBe(400);
    expect((await acme.progress('linear')).state).toBe('pending');
  });

  it('answers 502 and stores nothing when the token endpoint refuses the code (invalid_grant)', async () => {
    const acme = connectorFor('acme');
    vendor.exchangeError = { error: 'invalid_grant', description: 'the code has expired' };
    const start = await beginCode(acme, 'acme');
    const answer = await signIn(start);
    expect(answer.status).toBe(502);
    expect(answer.body.error).toMatch(/linear refused the token request \(invalid_grant/);
    expect(await credentials.get('acme', 'linear')).toBeUndefined();

    const progress = await acme.progress('linear');
    expect(progress).toEqual({ state: 'failed', reason: expect.stringMatching(/invalid_grant/) });
    const code = new URL(answer.location).searchParams.get('code') ?? '';
    expect(JSON.stringify(progress)).not.toContain(code);
    expect(answer.body.error).not.toContain(code);
    // Spent: the same redirect again does not try a second exchange.
    expect((await fetch(answer.location)).status).toBe(409);
    expect(codeExchanges()).toBe(1);
  });

  it('exchanges once when two callbacks bring the same state at the same time', async () => {
    const acme = connectorFor('acme');
    const location = await consent((await beginCode(acme, 'acme')).authorizationUrl);
    const answers = await Promise.all([fetch(location), fetch(location), fetch(location)]);
    const statuses = answers.map((answer) => answer.status).sort();
    await Promise.all(answers.map((answer) => answer.text()));
    expect(statuses).toEqual([200, 409, 409]);
    expect(codeExchanges()).toBe(1);
    expect((await credentials.get('acme', 'linear'))?.accessToken).toMatch(/^lin_oauth_/);
  });

  it('asks for the held scopes plus the missing ones when the stored token lacks a required scope', async () => {
    const acme = connectorFor('acme');
    checks.set('acme/linear', () => ({
      state: 'missing-scopes',
      missing: ['write'],
      grantedScopes: ['read', 'admin'],
    }));
    const start = await beginCode(acme, 'acme');
    expect(start.scopes).toEqual(['read', 'admin', 'write']);
    expect(new URL(start.authorizationUrl).searchParams.get('scope')).toBe('read,admin,write');

    checks.delete('acme/linear');
    await signIn(start);
    expect((await credentials.get('acme', 'linear'))?.scopes).toEqual(['read', 'admin', 'write']);
  });

  it('asks for exactly the scopes given', async () => {
    const start = await connectorFor('acme').begin('slack', {
      redirectUri: app.callbackUri('acme', 'slack'),
      scopes: ['chat:write', 'channels:history'],
    });
    expect(start.scopes).toEqual(['chat:write', 'channels:history']);
    expect(new URL((start as { authorizationUrl: string }).authorizationUrl).searchParams.get('scope')).toBe(
      'chat:write,channels:history',
    );
  });

  it('refuses unknown providers (404) and malformed starts (400), changing nothing', async () => {
    const acme = connectorFor('acme');
    expect(acme.providers()).toEqual(['linear', 'slack', 'github']);
    for (const refused of [
      acme.begin('jira', { redirectUri: app.callbackUri('acme', 'jira') }),
      acme.callback('jira', new URL(`${app.callbackUri('acme', 'jira')}?code=x&state=y`)),
      acme.progress('jira'),
    ]) {
      const error = await rejectionOf(refused);
      expect(error).toBeInstanceOf(ConnectRefusedError);
      expect((error as ConnectRefusedError).status).toBe(404);
    }
    for (const options of [
      { redirectUri: 'not a url' },
      { redirectUri: 'javascript:alert(1)' },
      { redirectUri: app.callbackUri('acme', 'linear'), scopes: [] },
      { redirectUri: app.callbackUri('acme', 'linear'), scopes: ['read,admin'] },
    ]) {
      const error = await rejectionOf(acme.begin('linear', options));
      expect((error as ConnectRefusedError).status).toBe(400);
    }
    expect(await store.getDocument('acme', signInDocumentName('linear'))).toBeUndefined();
  });

  it('refuses, when the connector is made, a provider whose extras would override the flow parameters', () => {
    const linear = provider('acme', 'linear');
    expect(() =>
      createRemoteConnector({
        tenant: 'acme',
        store,
        box,
        credentials,
        providers: [
          { ...linear, authorizationParameters: { state: 'fixed', redirect_uri: 'https://evil.example/' } },
        ],
      }),
    ).toThrow(/state, redirect_uri cannot be overridden/);
  });
});

describe('remote sign-in with the device grant', () => {
  async function beginDevice(connector: RemoteConnector) {
    const start = await connector.begin('github', { redirectUri: app.callbackUri('acme', 'github') });
    if (start.flow !== 'device') throw new Error('expected a device sign-in');
    return start;
  }

  it('polls the vendor at its pace: pending, slow_down, then approved and connected', async () => {
    vendor.deviceSteps = ['pending', 'slow_down', 'approve'];
    const acme = connectorFor('acme');
    const start = await beginDevice(acme);
    expect(start).toEqual({
      flow: 'device',
      provider: 'github',
      verificationUri: `${vendor.url}/github/login/device`,
      userCode: 'WDJB-MJHT',
      scopes: ['repo'],
      // The vendor's code lasts 15 minutes; the sign-in, ten.
      expiresAt: START + TEN_MINUTES,
      intervalSeconds: 5,
    });
    const pending = { state: 'pending', flow: 'device', expiresAt: START + TEN_MINUTES };

    expect(await acme.progress('github')).toEqual(pending);
    expect(devicePolls()).toBe(0); // not due yet

    clock.time += 5_000;
    expect(await acme.progress('github')).toEqual(pending); // authorization_pending
    expect(devicePolls()).toBe(1);

    clock.time += 5_000;
    expect(await acme.progress('github')).toEqual(pending); // slow_down: the interval becomes 10 s
    expect(devicePolls()).toBe(2);

    clock.time += 5_000;
    expect(await acme.progress('github')).toEqual(pending);
    expect(devicePolls()).toBe(2); // 5 s after a slow_down is too soon

    clock.time += 5_000;
    expect(await acme.progress('github')).toEqual({
      state: 'connected',
      status: { state: 'connected', grantedScopes: ['repo'] },
    });
    expect(devicePolls()).toBe(3);
    const stored = await credentials.get('acme', 'github');
    expect(stored?.accessToken).toMatch(/^gho_/);
    expect(vendor.secrets()).toContain(stored?.accessToken);

    clock.time += 60_000;
    expect((await acme.progress('github')).state).toBe('connected');
    expect(devicePolls()).toBe(3);
  });

  it('keeps the device code sealed in the store', async () => {
    vendor.deviceSteps = ['pending'];
    const acme = connectorFor('acme');
    await beginDevice(acme);
    clock.time += 5_000;
    await acme.progress('github');
    const poll = vendor.requests.find((request) => request.path === '/github/login/oauth/access_token');
    const deviceCode = poll?.form.device_code ?? '';
    expect(deviceCode.length).toBeGreaterThan(20);
    const document = JSON.stringify(await store.getDocument('acme', signInDocumentName('github')));
    expect(document).toContain('"intervalSeconds":5');
    expect(document).not.toContain(deviceCode);
  });

  it('polls once when two instances ask for progress at the same time', async () => {
    vendor.deviceSteps = ['approve'];
    const first = connectorFor('acme');
    const second = createRemoteConnector({
      tenant: 'acme',
      store,
      box,
      credentials,
      providers: [provider('acme', 'github')],
      clock,
      logger: out.logger,
    });
    await beginDevice(first);
    clock.time += 5_000;
    const answers = await Promise.all([first.progress('github'), second.progress('github')]);
    expect(devicePolls()).toBe(1);
    expect(answers.map((answer) => answer.state)).toContain('connected');
    expect((await second.progress('github')).state).toBe('connected');
  });

  it('reports a denied authorization as failed and an expired device code as expired', async () => {
    const acme = connectorFor('acme');
    vendor.deviceSteps = ['deny'];
    await beginDevice(acme);
    clock.time += 5_000;
    expect(await acme.progress('github')).toEqual({
      state: 'failed',
      reason: expect.stringMatching(/denied \(access_denied\)/),
    });

    vendor.deviceSteps = ['expire'];
    await beginDevice(acme);
    clock.time += 5_000;
    expect(await acme.progress('github')).toEqual({ state: 'expired' });
    clock.time += 5_000;
    expect(await acme.progress('github')).toEqual({ state: 'expired' });
    expect(devicePolls()).toBe(2);
    expect(await credentials.get('acme', 'github')).toBeUndefined();
  });

  it('stops polling once the sign-in has expired', async () => {
    vendor.deviceSteps = ['pending'];
    const acme = connectorFor('acme');
    await beginDevice(acme);
    clock.time += TEN_MINUTES;
    expect(await acme.progress('github')).toEqual({ state: 'expired' });
    expect(devicePolls()).toBe(0);
  });

  it('does not take a callback for a device sign-in', async () => {
    const acme = connectorFor('acme');
    await beginDevice(acme);
    const error = await rejectionOf(
      acme.callback('github', new URL(`${app.callbackUri('acme', 'github')}?code=abc&state=def`)),
    );
    expect((error as ConnectRefusedError).status).toBe(400);
  });
});

describe('what the connector says', () => {
  it('never logs or answers a token, code, state, verifier or device code', async () => {
    const acme = connectorFor('acme');
    const globex = connectorFor('globex');
    const answers: string[] = [];
    const states: string[] = [];
    const record = async (response: Promise<{ body: unknown }>) => {
      answers.push(JSON.stringify((await response).body));
    };

    // A success, a forged tenant, a reuse, a vendor refusal, a failed exchange, an expiry.
    const ok = await beginCode(acme, 'acme');
    states.push(stateOf(ok));
    const done = await signIn(ok);
    answers.push(JSON.stringify(done.body));
    const again = await fetch(done.location);
    answers.push(await again.text());

    const forged = await beginCode(globex, 'globex');
    states.push(stateOf(forged));
    await record(signIn(forged, (url) => url.replace('/t/globex/', '/t/acme/')));

    vendor.authorize = 'deny';
    const denied = await beginCode(acme, 'acme', 'slack');
    states.push(stateOf(denied));
    await record(signIn(denied));
    vendor.authorize = 'approve';

    vendor.exchangeError = { error: 'invalid_grant', description: 'bad code' };
    const refused = await beginCode(globex, 'globex', 'slack');
    states.push(stateOf(refused));
    await record(signIn(refused));
    vendor.exchangeError = undefined;

    const late = await beginCode(globex, 'globex');
    states.push(stateOf(late));
    const lateLocation = await consent(late.authorizationUrl);
    clock.time += TEN_MINUTES;
    answers.push(await (await fetch(lateLocation)).text());

    vendor.deviceSteps = ['pending', 'approve'];
    await acme.begin('github', { redirectUri: app.callbackUri('acme', 'github') });
    for (let poll = 0; poll < 3; poll++) {
      clock.time += 5_000;
      answers.push(JSON.stringify(await acme.progress('github')));
    }
    for (const tenant of [acme, globex])
      for (const name of tenant.providers()) answers.push(JSON.stringify(await tenant.progress(name)));

    expect(out.logged.join('\n')).toMatch(/tenant":"acme".*provider":"linear"/);
    expect(out.logged.some((line) => line.includes('remote sign-in callback refused'))).toBe(true);
    // Everything the vendor issued or received (codes, tokens, verifiers, the device code, the client
    // secret) and every state.
    expectNoSecrets([...out.everything(), ...answers], [...vendor.secrets(), ...states]);
  });
});
