// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs write ${NAME} references literally.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GithubAppAuth } from '../src/github/app-auth.ts';
import { GITHUB_APP_CONNECTION, GITHUB_APP_WEBHOOK_CONNECTION } from '../src/github/app-config.ts';
import { GithubOutputTarget } from '../src/github/output-target.ts';
import { GithubIssuesWorkItemProvider } from '../src/github-issues/work-item-provider.ts';
import { buildTenant, parseTenantConfig, TenantConfigError } from '../src/registry.ts';
import { NotAuthorisedError } from '../src/shared/provider-errors.ts';
import { githubExample, githubSignature, pullRequestExample } from './support/fixtures.ts';
import { GithubAppIssuer, generateAppKey } from './support/github-app.ts';
import { GithubIssuesServer, type IssueJson } from './support/github-issues-server.ts';
import { GithubServer, type PullJson } from './support/github-server.ts';
import { incoming } from './support/webhooks.ts';

const APP_ID = 424242;
const INSTALLATION = 7001;
const REPOSITORY = 'Codertocat/Hello-World';
const key = generateAppKey();
const noWait = { sleep: async () => {} };

let pulls: GithubServer;
let issues: GithubIssuesServer;
let issuer: GithubAppIssuer;

beforeAll(async () => {
  [pulls, issues] = await Promise.all([new GithubServer().start(), new GithubIssuesServer().start()]);
});
afterAll(() => Promise.all([pulls.stop(), issues.stop()]));
beforeEach(() => {
  issuer = new GithubAppIssuer({ appId: APP_ID, publicKey: key.publicKey });
  issuer.install(REPOSITORY, INSTALLATION);
  pulls.appIssuer = issuer;
  issues.appIssuer = issuer;
  pulls.requests.length = 0;
  issues.requests.length = 0;
  issues.issues.clear();
  issues.comments.clear();
  const pull = pullRequestExample('opened').pull_request as PullJson;
  pulls.addPull(REPOSITORY, pull);
  const opened = githubExample('issues', 'opened').issue as IssueJson;
  issues.addIssue(REPOSITORY, { ...opened, labels: [{ name: 'factory' }] });
});

function appAuth(
  url: string,
  options: { now?: () => number; privateKey?: string; installationId?: number } = {},
) {
  return new GithubAppAuth({
    credentials: { appId: String(APP_ID), privateKey: options.privateKey ?? key.privateKey },
    baseUrl: url,
    retry: noWait,
    ...(options.now ? { now: options.now } : {}),
    ...(options.installationId ? { installationId: options.installationId } : {}),
  });
}

function target(auth = appAuth(pulls.url)) {
  return new GithubOutputTarget({ baseUrl: pulls.url, app: auth, retry: noWait });
}

function intake(auth = appAuth(issues.url)) {
  return new GithubIssuesWorkItemProvider({
    baseUrl: issues.url,
    app: auth,
    repositories: [{ repository: REPOSITORY }],
    retry: noWait,
  });
}

describe('GitHub App installation tokens', () => {
  it('signs a JWT GitHub accepts, finds the installation from the repository once, and caches its token', async () => {
    const outputs = target();
    expect(await outputs.getOutput(`${REPOSITORY}#2`)).toMatchObject({ id: `${REPOSITORY}#2` });
    expect(await outputs.findOutput(REPOSITORY, 'changes')).toMatchObject({ branch: 'changes' });
    expect(issuer.refusedJwts).toEqual([]);
    expect(issuer.exchanges).toEqual([INSTALLATION]);
    expect(pulls.requests.filter((request) => request.endsWith('/installation'))).toEqual([
      `GET /repos/${REPOSITORY}/installation`,
    ]);
    // Every REST call carried the installation token, never the JWT.
    expect(
      pulls.requests.filter(
        (request) => request.startsWith('GET /repos/') && !request.endsWith('/installation'),
      ),
    ).toHaveLength(2);
  });

  it('a configured installation is used as is: no look-up', async () => {
    await target(appAuth(pulls.url, { installationId: INSTALLATION })).getOutput(`${REPOSITORY}#2`);
    expect(pulls.requests.some((request) => request.endsWith('/installation'))).toBe(false);
    expect(issuer.exchanges).toEqual([INSTALLATION]);
  });

  it('honours expires_at: the cached token is used until five minutes before it expires, then exchanged again', async () => {
    let now = Date.now();
    issuer.now = () => now;
    issuer.tokenLifetimeMs = 60 * 60_000;
    const outputs = target(appAuth(pulls.url, { now: () => now }));
    await outputs.getOutput(`${REPOSITORY}#2`);
    now += 54 * 60_000;
    await outputs.getOutput(`${REPOSITORY}#2`);
    expect(issuer.exchanges).toHaveLength(1);
    now += 2 * 60_000; // 4 minutes left: renewed before GitHub would refuse it
    await outputs.getOutput(`${REPOSITORY}#2`);
    expect(issuer.exchanges).toHaveLength(2);
    expect(pulls.requests.filter((request) => request === `GET /repos/${REPOSITORY}/pulls/2`)).toHaveLength(
      3,
    );
  });

  it('a token GitHub expires early is refused (401), exchanged again once, and the read retried', async () => {
    const outputs = target();
    await outputs.getOutput(`${REPOSITORY}#2`);
    issuer.expireAll();
    expect(await outputs.getOutput(`${REPOSITORY}#2`)).toMatchObject({ id: `${REPOSITORY}#2` });
    expect(issuer.exchanges).toEqual([INSTALLATION, INSTALLATION]);
    expect(pulls.requests.filter((request) => request === `GET /repos/${REPOSITORY}/pulls/2`)).toHaveLength(
      3,
    );
  });

  it('an installation token dying mid-run does not repeat a write: the comment is posted exactly once', async () => {
    const provider = intake();
    const item = (await provider.getWorkItem(`${REPOSITORY}#1`))!;
    issuer.expireAll();
    // The comment write itself meets the dead token: GitHub refused it, so it is sent once more only.
    issues.failNext(`POST /repos/${REPOSITORY}/issues/1/comments`, {
      status: 401,
      body: { message: 'Bad credentials' },
    });
    await provider.postComment(item, 'Working on it.', { idempotencyKey: 'comment-1' });
    expect(issues.comments.get(`${REPOSITORY}#1`)).toHaveLength(1);
    const posts = issues.requests.filter(
      (request) => request === `POST /repos/${REPOSITORY}/issues/1/comments`,
    );
    expect(posts).toHaveLength(2);
    expect(issuer.exchanges.length).toBeGreaterThanOrEqual(2);
    await provider.setState(item, 'dispatched', { idempotencyKey: 'state-1' });
    expect(issues.issues.get(`${REPOSITORY}#1`)?.labels.map((label) => label.name)).toContain(
      'factory: in progress',
    );
  });

  it('a refresh that is refused again surfaces as not authorised, after exactly one retry', async () => {
    const provider = intake();
    const item = (await provider.getWorkItem(`${REPOSITORY}#1`))!;
    issues.failNext(
      `POST /repos/${REPOSITORY}/issues/1/comments`,
      { status: 401, body: { message: 'Bad credentials' } },
      { status: 401, body: { message: 'Bad credentials' } },
    );
    await expect(provider.postComment(item, 'x', { idempotencyKey: 'comment-2' })).rejects.toThrow(
      NotAuthorisedError,
    );
    expect(issues.comments.get(`${REPOSITORY}#1`) ?? []).toHaveLength(0);
  });
});

describe('a revoked installation', () => {
  it('is needs-auth in the connection check of every GitHub role, and nothing is written', async () => {
    const outputs = target();
    const provider = intake();
    expect(await outputs.checkConnection()).toMatchObject({ state: 'connected' });
    expect(await provider.checkConnection()).toMatchObject({ state: 'connected' });
    const item = (await provider.getWorkItem(`${REPOSITORY}#1`))!;
    const before = structuredClone(issues.issues.get(`${REPOSITORY}#1`));

    issuer.revoke(INSTALLATION);
    for (const port of [outputs, provider]) {
      const status = await port.checkConnection();
      expect(status).toMatchObject({ state: 'needs-auth' });
      expect(JSON.stringify(status)).toMatch(/uninstalled, suspended or its key revoked/);
      // The fix is the App's, not a person's sign-in.
      expect(JSON.stringify(status)).toMatch(
        /install the App on the repository again.*factory connect github --app/,
      );
    }
    await expect(provider.setState(item, 'dispatched', { idempotencyKey: 'k' })).rejects.toThrow(
      NotAuthorisedError,
    );
    expect(issues.issues.get(`${REPOSITORY}#1`)).toEqual(before);
  });

  it('an App not installed on the repository is needs-auth, naming the look-up', async () => {
    issuer.installations.clear();
    const status = await target().checkConnection();
    expect(status).toMatchObject({ state: 'needs-auth' });
  });

  it('a wrong private key: GitHub refuses the JWT, needs-auth, and no key is ever in the message', async () => {
    const other = generateAppKey();
    const status = await target(appAuth(pulls.url, { privateKey: other.privateKey })).checkConnection();
    expect(status).toMatchObject({ state: 'needs-auth' });
    expect(issuer.refusedJwts[0]).toMatch(/could not be verified/);
    expect(JSON.stringify(status)).not.toContain('PRIVATE KEY');
  });
});

describe('App config', () => {
  const env = {
    GITHUB_APP_PRIVATE_KEY: key.privateKey,
    GITHUB_WEBHOOK_SECRET: 'app-webhook-secret',
    NOT_A_KEY: 'hello',
  };
  const output = (app: unknown) => ({
    intentProvider: { type: 'github-issues', repositories: [{ repository: REPOSITORY }] },
    clarificationChannel: { type: 'comments' },
    outputTarget: { type: 'github', app },
  });

  it('builds the output target and the issues intake as App installations; no token is needed', async () => {
    const config = parseTenantConfig(
      {
        intentProvider: {
          type: 'github-issues',
          baseUrl: issues.url,
          repositories: [{ repository: REPOSITORY }],
          app: { appId: APP_ID, privateKey: '${GITHUB_APP_PRIVATE_KEY}', installationId: INSTALLATION },
        },
        clarificationChannel: { type: 'comments' },
        outputTarget: {
          type: 'github',
          baseUrl: pulls.url,
          app: { appId: APP_ID, privateKey: '${GITHUB_APP_PRIVATE_KEY}' },
        },
      },
      { env },
    );
    const tenant = buildTenant(config, { tenant: 'acme', retry: { maxAttempts: 1 } });
    expect(tenant.missing).toEqual([]);
    expect(await tenant.ports.outputs.checkConnection()).toMatchObject({ state: 'connected' });
    expect(await tenant.ports.workItems.checkConnection()).toMatchObject({ state: 'connected' });
    expect(issuer.refusedJwts).toEqual([]);
  });

  it('app: {} reads the App and its webhook secret that `factory connect github --app` stored', async () => {
    const stored = new Map([
      [GITHUB_APP_CONNECTION, { accessToken: key.privateKey, scopes: [], resource: { id: String(APP_ID) } }],
      [GITHUB_APP_WEBHOOK_CONNECTION, { accessToken: 'stored-webhook-secret', scopes: [] }],
    ]);
    const config = parseTenantConfig(
      {
        intentProvider: { type: 'github-issues', repositories: [{ repository: REPOSITORY }] },
        clarificationChannel: { type: 'comments' },
        outputTarget: { type: 'github', baseUrl: pulls.url, app: {} },
      },
      { env: {} },
    );
    const tenant = buildTenant(config, {
      tenant: 'acme',
      retry: { maxAttempts: 1 },
      storedToken: (provider) => async () => stored.get(provider),
    });
    expect(tenant.missing.map((missing) => missing.path.join('.'))).toEqual(['intentProvider.webhookSecret']);
    expect(await tenant.ports.outputs.checkConnection()).toMatchObject({ state: 'connected' });
    const source = tenant.sources.find((candidate) => candidate.source === 'github')!;
    const body = JSON.stringify(pullRequestExample('opened'));
    const headers = { 'x-github-event': 'pull_request', 'content-type': 'application/json' };
    await expect(
      source.verify(
        incoming(
          body,
          { ...headers, 'x-hub-signature-256': githubSignature('stored-webhook-secret', body) },
          Date.now(),
        ),
      ),
    ).resolves.toBeUndefined();
    await expect(
      source.verify(
        incoming(
          body,
          { ...headers, 'x-hub-signature-256': githubSignature('wrong-secret', body) },
          Date.now(),
        ),
      ),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('app: {} with nothing stored: needs-auth, telling how to connect', async () => {
    const config = parseTenantConfig(output({}), { env });
    const tenant = buildTenant(config, { tenant: 'acme', retry: { maxAttempts: 1 } });
    expect(await tenant.ports.outputs.checkConnection()).toMatchObject({
      state: 'needs-auth',
      reason: expect.stringMatching(/no GitHub App is configured or stored.*factory connect github --app/),
    });
  });

  it.each([
    [{ appId: APP_ID }, 'outputTarget.app: give app.appId and app.privateKey together'],
    [
      { privateKey: '${GITHUB_APP_PRIVATE_KEY}' },
      'outputTarget.app: give app.appId and app.privateKey together',
    ],
    [
      { appId: APP_ID, privateKey: '-----BEGIN RSA PRIVATE KEY-----' },
      'outputTarget.app.privateKey: is a secret and takes no literal value',
    ],
    [{ appId: APP_ID, privateKey: '${NOT_A_KEY}' }, 'outputTarget.app.privateKey: is not a PEM private key'],
    [
      { appId: APP_ID, privateKey: '${UNSET_VARIABLE}' },
      'outputTarget.app.privateKey: environment variable UNSET_VARIABLE is not set',
    ],
    [{ appId: 'twelve', privateKey: '${GITHUB_APP_PRIVATE_KEY}' }, 'outputTarget.app.appId'],
    [{ appId: -1, privateKey: '${GITHUB_APP_PRIVATE_KEY}' }, 'outputTarget.app.appId'],
    [
      { appId: APP_ID, privateKey: '${GITHUB_APP_PRIVATE_KEY}', installationId: 0 },
      'outputTarget.app.installationId',
    ],
    [{ appId: APP_ID, privateKey: '${GITHUB_APP_PRIVATE_KEY}', installation: 1 }, 'outputTarget.app'],
  ])('app %j is refused naming %s, and no secret is repeated', (app, message) => {
    const attempt = () => parseTenantConfig(output(app), { env });
    expect(attempt).toThrow(TenantConfigError);
    let said = '';
    try {
      attempt();
    } catch (error) {
      said = (error as Error).message;
    }
    expect(said).toContain(message);
    expect(said).not.toContain('PRIVATE KEY-----\n');
    expect(said).not.toContain(key.privateKey.slice(40, 80));
  });
});

describe('the App changes nothing for personal tokens', () => {
  it('a token config still reads as a token, with GET /user', async () => {
    const outputs = new GithubOutputTarget({
      baseUrl: pulls.url,
      token: 'ghp_classic_test_token',
      retry: noWait,
    });
    expect(await outputs.checkConnection()).toMatchObject({ state: 'connected', identity: 'factory-bot' });
    expect(issuer.exchanges).toEqual([]);
  });
});
