import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AuthFlowError,
  type ConnectContext,
  EncryptedFileCredentialStore,
  RelayfileCredentialStore,
} from '@software-factory/auth';
import type { Connectable } from '@software-factory/sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { capture, expectNoSecrets, rejectionOf } from '../../auth/test/support/capture.ts';
import {
  browse,
  CLIENT_ID,
  CLIENT_SECRET,
  type LoopbackOAuthServer,
  startLoopbackOAuthServer,
} from '../../auth/test/support/loopback-oauth-server.ts';
import {
  CLOUD_TOKEN,
  type LoopbackRelayfileCloud,
  startLoopbackRelayfileCloud,
} from '../../auth/test/support/loopback-relayfile-cloud.ts';
import { GithubOutputTarget } from '../src/github/output-target.ts';
import { GithubIssuesWorkItemProvider } from '../src/github-issues/work-item-provider.ts';
import { LinearWorkItemProvider } from '../src/linear/work-item-provider.ts';
import { GITHUB_OAUTH, LINEAR_OAUTH, SLACK_OAUTH } from '../src/registry.ts';
import { connectWithOAuth, type OAuthAppOptions } from '../src/shared/oauth-connect.ts';
import { credentialStoreTokens } from '../src/shared/provider-credentials.ts';
import { SlackClarificationChannel } from '../src/slack/clarification-channel.ts';
import { GithubServer } from './support/github-server.ts';
import { LinearServer } from './support/linear-server.ts';
import { SlackServer } from './support/slack-server.ts';

const TENANT = 'acme';
const noRetry = { sleep: async () => {}, maxAttempts: 1 };

let oauth: LoopbackOAuthServer;
let linear: LinearServer;
let slack: SlackServer;
let github: GithubServer;
let dir: string;
let store: EncryptedFileCredentialStore;

/** The vendor's API accepts the access tokens its own OAuth server issued, as the real ones do. */
function acceptIssuedTokens(tokens: Set<string>, prefix: string): void {
  const original = tokens.has.bind(tokens);
  tokens.has = (token: string) =>
    original(token) || (token.startsWith(prefix) && oauth.secrets().includes(token));
}

beforeAll(async () => {
  oauth = await startLoopbackOAuthServer();
  linear = await new LinearServer().start();
  slack = await new SlackServer().start();
  github = await new GithubServer().start();
  acceptIssuedTokens(linear.tokens, 'lin_oauth_');
  acceptIssuedTokens(slack.tokens, 'xoxb-');
  const githubTokens = github.tokens;
  const has = githubTokens.has.bind(githubTokens);
  const get = githubTokens.get.bind(githubTokens);
  githubTokens.has = (token) => has(token) || oauth.secrets().includes(token);
  githubTokens.get = (token) => get(token) ?? (oauth.secrets().includes(token) ? 'classic' : undefined);
});

afterAll(async () => {
  await Promise.all([oauth.close(), linear.stop(), slack.stop(), github.stop()]);
});

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'factory-connect-'));
  store = new EncryptedFileCredentialStore({
    path: path.join(dir, 'credentials.enc'),
    key: { key: randomBytes(32) },
  });
  oauth.authorize = 'approve';
  oauth.deviceSteps = ['approve'];
  oauth.requests.length = 0;
  slack.scopes = ['chat:write', 'channels:history', 'channels:read'];
  github.scopes = ['repo', 'read:org'];
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A connect context whose browser follows the consent page back to the loopback listener. */
function browserContext(out = capture(), scopes?: string[]) {
  const opened: string[] = [];
  const context: ConnectContext = {
    tenant: TENANT,
    credentials: store,
    print: out.print,
    openUrl: async (url) => {
      opened.push(url);
      await browse(url);
    },
    ...(scopes ? { scopes } : {}),
  };
  return { out, context, opened };
}

function app(vendor: 'linear' | 'slack' | 'github', extra: Partial<OAuthAppOptions> = {}): OAuthAppOptions {
  return { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...oauth[vendor], ...extra };
}

/** The Linear intake as `factory start` builds it: its token read from the store a sign-in fills. */
function linearProvider() {
  return new LinearWorkItemProvider({
    apiUrl: linear.url,
    token: credentialStoreTokens(store, TENANT, 'linear'),
    retry: noRetry,
  });
}

/** Linear's sign-in as `factory connect linear` runs it: the registry's spec, the app from the config. */
function connectLinear(port: Connectable, context: ConnectContext, oauthApp = app('linear')) {
  return connectWithOAuth(port, context, LINEAR_OAUTH, oauthApp);
}

/** GitHub's device grant with its waits recorded instead of slept. */
function githubApp(waits: number[] = []): OAuthAppOptions {
  return { ...app('github', { clientSecret: undefined }), sleep: async (ms) => void waits.push(ms) };
}

function authorizeRequests(vendor: string) {
  return oauth.requests.filter(
    (request) => request.path.startsWith(`/${vendor}/oauth`) && request.method === 'GET',
  );
}

function requestedScope(vendor: string): string | null {
  const request = authorizeRequests(vendor).at(-1);
  return request ? new URL(request.path, oauth.url).searchParams.get('scope') : null;
}

async function expectConnected(port: Connectable) {
  const status = await port.checkConnection();
  expect(status.state).toBe('connected');
  return status;
}

describe('connecting Linear: the browser sign-in with PKCE', () => {
  it('stores the token under (tenant, provider) in the encrypted file and reports the connection it made', async () => {
    const provider = linearProvider();
    expect((await provider.checkConnection()).state).toBe('needs-auth');
    const { out, context, opened } = browserContext();

    const status = await connectLinear(provider, context);

    expect(status).toEqual({
      state: 'connected',
      identity: 'factory@example.com @ acme',
      grantedScopes: ['read', 'write'],
    });
    expect(requestedScope('linear')).toBe('read,write');
    expect(opened).toHaveLength(1);
    expect(out.printed.join('\n')).toContain(opened[0]); // the URL is printed for a headless machine too
    const stored = await store.get(TENANT, 'linear');
    expect(stored?.accessToken).toMatch(/^lin_oauth_/);
    expect(stored?.scopes).toEqual(['read', 'write']);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    await expectConnected(provider);
    expectNoSecrets(out.everything(), oauth.secrets());
  });

  it('fixes missing scopes by asking for what is held plus what is missing', async () => {
    const provider = linearProvider();
    await connectLinear(provider, browserContext(capture(), ['read']).context);
    const partial = await provider.checkConnection();
    expect(partial).toMatchObject({ state: 'missing-scopes', missing: ['write'] });

    const { out, context } = browserContext();
    const status = await connectLinear(provider, context);

    expect(requestedScope('linear')).toBe('read,write');
    expect(status.state).toBe('connected');
    expect(out.printed[0]).toBe(
      'linear lacks write; connect again to grant write, keeping read (requesting read, write)',
    );
    expect((await store.get(TENANT, 'linear'))?.scopes).toEqual(['read', 'write']);
  });

  it('stores nothing when the person denies the grant, and says so', async () => {
    oauth.authorize = 'deny';
    const provider = linearProvider();
    const { out, context } = browserContext();

    const error = await rejectionOf(connectLinear(provider, context));

    expect(error).toBeInstanceOf(AuthFlowError);
    expect((error as AuthFlowError).failure).toBe('access-denied');
    expect(error.message).toContain('nothing was saved');
    expect(await store.get(TENANT, 'linear')).toBeUndefined();
    await expect(stat(store.path)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await provider.checkConnection()).state).toBe('needs-auth');
    expectNoSecrets([...out.everything(), error.message], oauth.secrets());
  });

  it('refuses to start without an OAuth client id, before anything is asked of the vendor', async () => {
    const provider = linearProvider();
    const error = await rejectionOf(connectLinear(provider, browserContext().context, { ...oauth.linear }));
    expect(error.message).toBe(
      'cannot connect linear: no OAuth client id; register an OAuth app with Linear and give its client id',
    );
    expect(authorizeRequests('linear')).toHaveLength(0);
    expect(await store.get(TENANT, 'linear')).toBeUndefined();
  });
});

describe('connecting Slack: installing the app with its bot scopes', () => {
  it('stores the bot token and checks it through auth.test', async () => {
    const channel = new SlackClarificationChannel({
      channel: 'C0123456789',
      apiUrl: slack.url,
      token: credentialStoreTokens(store, TENANT, 'slack'),
      retry: noRetry,
    });
    expect((await channel.checkConnection()).state).toBe('needs-auth');
    const { out, context } = browserContext();

    const status = await connectWithOAuth(channel, context, SLACK_OAUTH, app('slack'));

    // channels:read lists the channel's members, who may answer questions.
    expect(requestedScope('slack')).toBe('chat:write,channels:history,channels:read');
    expect(status).toMatchObject({ state: 'connected', identity: 'factory @ Acme' });
    const stored = await store.get(TENANT, 'slack');
    expect(stored).toMatchObject({
      tokenType: 'bot',
      scopes: ['chat:write', 'channels:history', 'channels:read'],
    });
    expectNoSecrets(out.everything(), oauth.secrets());
  });

  it('asks for groups:history and groups:read for a private channel', async () => {
    const channel = new SlackClarificationChannel({
      channel: 'G0123456789',
      privateChannel: true,
      apiUrl: slack.url,
      token: credentialStoreTokens(store, TENANT, 'slack'),
      retry: noRetry,
    });
    await connectWithOAuth(channel, browserContext().context, SLACK_OAUTH, app('slack')).catch(
      () => undefined,
    );
    expect(requestedScope('slack')).toBe('chat:write,groups:history,groups:read');
  });
});

describe('connecting GitHub: the device grant', () => {
  it('shows the code, polls at the pace GitHub sets, stores the token and checks it', async () => {
    oauth.deviceSteps = ['pending', 'slow_down', 'approve'];
    const waits: number[] = [];
    const target = new GithubOutputTarget({
      baseUrl: github.url,
      token: credentialStoreTokens(store, TENANT, 'github'),
      retry: noRetry,
    });
    const out = capture();
    const opened: string[] = [];

    const status = await connectWithOAuth(
      target,
      {
        tenant: TENANT,
        credentials: store,
        print: out.print,
        openUrl: async (url) => void opened.push(url),
      },
      GITHUB_OAUTH,
      githubApp(waits),
    );

    expect(status).toMatchObject({ state: 'connected', identity: 'factory-bot' });
    expect(waits).toEqual([5_000, 5_000, 10_000]);
    expect(out.printed.slice(0, 2)).toEqual([
      'github is not connected; connecting will request repo',
      `To connect github, open ${oauth.url}/github/login/device and enter the code WDJB-MJHT (scopes: repo).`,
    ]);
    expect(opened).toEqual([`${oauth.url}/github/login/device`]);
    expect((await store.get(TENANT, 'github'))?.accessToken).toMatch(/^gho_/);
    expectNoSecrets(out.everything(), oauth.secrets());
  });

  it('GitHub Issues connects the same way under its own provider name', async () => {
    const intake = new GithubIssuesWorkItemProvider({
      repositories: [{ repository: 'acme/web' }],
      baseUrl: github.url,
      token: credentialStoreTokens(store, TENANT, 'github-issues'),
      retry: noRetry,
    });
    const status = await connectWithOAuth(
      intake,
      { tenant: TENANT, credentials: store, print: () => {}, openUrl: async () => {} },
      GITHUB_OAUTH,
      githubApp(),
    );
    expect(status.state).toBe('connected');
    expect(await store.get(TENANT, 'github-issues')).toBeDefined();
    expect(await store.get(TENANT, 'github')).toBeUndefined();
  });

  it('stores nothing when the person denies the device code', async () => {
    oauth.deviceSteps = ['pending', 'deny'];
    const target = new GithubOutputTarget({
      baseUrl: github.url,
      token: credentialStoreTokens(store, TENANT, 'github'),
      retry: noRetry,
    });
    const error = await rejectionOf(
      connectWithOAuth(
        target,
        { tenant: TENANT, credentials: store, print: () => {}, openUrl: async () => {} },
        GITHUB_OAUTH,
        githubApp(),
      ),
    );
    expect((error as AuthFlowError).failure).toBe('access-denied');
    expect(await store.get(TENANT, 'github')).toBeUndefined();
  });
});

describe('connecting with relayfile holding the tokens', () => {
  let cloud: LoopbackRelayfileCloud;
  beforeAll(async () => {
    cloud = await startLoopbackRelayfileCloud();
  });
  afterAll(async () => {
    await cloud.close();
  });

  it("runs relayfile's connect session instead of the vendor's OAuth, and stores nothing locally", async () => {
    cloud.pollsBeforeReady = 1;
    const relayfile = new RelayfileCredentialStore({
      cloudApiUrl: cloud.cloudApiUrl,
      accessToken: CLOUD_TOKEN,
      workspaceFor: () => 'ws_acme_connect',
      retry: { maxRetries: 0, baseDelayMs: 1 },
      sleep: async () => {},
    });
    const provider = linearProvider();
    const out = capture();

    await connectLinear(provider, {
      tenant: TENANT,
      credentials: relayfile,
      print: out.print,
      openUrl: async (url) => void (await (await fetch(url)).text()),
    });

    expect(out.printed).toContain('linear connected through relayfile.');
    expect(authorizeRequests('linear')).toHaveLength(0);
    expect(await relayfile.get(TENANT, 'linear')).toMatchObject({ tokenType: 'relayfile' });
    expectNoSecrets(out.everything(), [CLOUD_TOKEN, ...cloud.workspaceTokens()]);
  });
});
