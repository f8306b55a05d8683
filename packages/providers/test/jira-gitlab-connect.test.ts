// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs write ${NAME} references literally.
import { type ConnectContext, freshCredential, oauthRefresher } from '@software-factory/auth';
import type { Connectable, Credential, CredentialStore } from '@software-factory/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { capture, expectNoSecrets, rejectionOf } from '../../auth/test/support/capture.ts';
import { browse } from '../../auth/test/support/loopback-oauth-server.ts';
import { textToAdf } from '../src/jira/atlassian-document.ts';
import {
  buildTenant,
  endpointOverrides,
  GITLAB_OAUTH,
  JIRA_OAUTH,
  type OAuthClientConfig,
  type ProviderConfig,
  type ProviderOAuth,
  parseTenantConfig,
  type TenantConfig,
} from '../src/registry.ts';
import { connectWithOAuth, type OAuthAppOptions } from '../src/shared/oauth-connect.ts';
import type { TokenSource } from '../src/shared/provider-credentials.ts';
import { GITLAB_APP, GitlabServer } from './support/gitlab-server.ts';
import { ATLASSIAN_CLIENT, JIRA_CLOUD_ID, JiraServer } from './support/jira-server.ts';
import { OAuthGrants } from './support/oauth-grants.ts';

const TENANT = 'acme';
const SITE = 'https://acme.atlassian.net';

let jira: JiraServer;
let gitlab: GitlabServer;

beforeAll(async () => {
  [jira, gitlab] = await Promise.all([new JiraServer().start(), new GitlabServer().start()]);
});
afterAll(() => Promise.all([jira.stop(), gitlab.stop()]));

/** A credential store in memory, recording what was put. */
class MemoryStore implements CredentialStore {
  readonly records = new Map<string, Credential>();
  async get(tenant: string, provider: string) {
    return this.records.get(`${tenant}/${provider}`);
  }
  async put(tenant: string, provider: string, credential: Credential) {
    this.records.set(`${tenant}/${provider}`, credential);
  }
  async delete(tenant: string, provider: string) {
    this.records.delete(`${tenant}/${provider}`);
  }
}

let store: MemoryStore;
/** The token endpoint each stored token would be refreshed at, by provider. */
let refreshAt: Map<string, string>;

beforeEach(() => {
  store = new MemoryStore();
  refreshAt = new Map();
  jira.grantedSites = undefined;
  jira.gatewayRequests.length = 0;
  jira.transitionsPosted.length = 0;
  jira.oauth.behaviour = 'approve';
  jira.oauth.expiresIn = 3600;
  jira.oauth.requests.length = 0;
  gitlab.oauth = new OAuthGrants({ client: GITLAB_APP, tokenPrefix: 'gloas-' });
  gitlab.authentications.length = 0;
  jira.issues.clear();
  jira.addIssue({
    id: '10040',
    key: 'TES-41',
    summary: 'Export the report as JSON',
    description: textToAdf('The export command should print JSON.'),
    labels: ['factory'],
    statusId: '10001',
    projectId: '10000',
    projectKey: 'TES',
    issueTypeId: '10001',
    updated: '2026-01-01T11:00:00.000+0000',
  });
  gitlab.addMergeRequest('acme/web', {
    id: 1007,
    project_id: 14,
    title: 'TES-41: export as JSON',
    description: 'Closes TES-41',
    state: 'opened',
    draft: false,
    work_in_progress: false,
    source_branch: 'factory/tes-41',
    target_branch: 'main',
    source_project_id: 14,
    target_project_id: 14,
    updated_at: '2026-01-01T11:00:00.000Z',
    web_url: `${gitlab.url}/acme/web/-/merge_requests/7`,
    references: { full: 'acme/web!7' },
    iid: 7,
  });
});

/** The environment of `factory connect`: the Atlassian app, and Atlassian's consent page on loopback. */
function environment(): Record<string, string> {
  return {
    JIRA_CLIENT_ID: ATLASSIAN_CLIENT.id,
    JIRA_CLIENT_SECRET: ATLASSIAN_CLIENT.secret,
    JIRA_OAUTH_AUTHORIZATION_URL: `${jira.url}/authorize`,
    JIRA_WEBHOOK_SECRET: 'jira-webhook-secret',
    GITLAB_CLIENT_ID: GITLAB_APP.id,
    GITLAB_WEBHOOK_SECRET: 'gitlab-webhook-secret',
  };
}

/**
 * Jira through Atlassian's OAuth (its gateway and token endpoint on loopback: the token endpoint as the
 * config's `oauth.tokenUrl`, the consent page by JIRA_OAUTH_AUTHORIZATION_URL), a self-managed GitLab.
 */
function tenantConfig(env = environment()): TenantConfig {
  return parseTenantConfig(
    {
      intentProvider: {
        type: 'jira',
        siteUrl: SITE,
        apiGatewayUrl: jira.url,
        oauth: {
          clientId: ATLASSIAN_CLIENT.id,
          clientSecret: '${JIRA_CLIENT_SECRET}',
          tokenUrl: `${jira.url}/oauth/token`,
        },
      },
      clarificationChannel: { type: 'comments' },
      outputTarget: { type: 'gitlab', baseUrl: gitlab.url },
    },
    { env },
  );
}

/** Stored tokens as `factory start` reads them: refreshed at the token endpoint the spec names. */
function storedToken(
  provider: string,
  oauth: OAuthClientConfig | undefined,
  spec: ProviderOAuth | undefined,
): TokenSource {
  if (spec) refreshAt.set(provider, oauth?.tokenUrl ?? spec.tokenEndpoint);
  return () =>
    freshCredential(store, TENANT, provider, (credential) => {
      if (!oauth || !spec) throw new Error(`no OAuth app to refresh ${provider} with`);
      return oauthRefresher({
        provider: {
          name: provider,
          tokenEndpoint: oauth.tokenUrl ?? spec.tokenEndpoint,
          scopeSeparator: spec.scopeSeparator,
          defaultScopes: [],
          clientAuthentication: spec.clientAuthentication,
          extraTokenTypes: spec.extraTokenTypes,
        },
        clientId: oauth.clientId,
        ...(oauth.clientSecret ? { clientSecret: oauth.clientSecret } : {}),
      })(credential);
    });
}

function tenant(config = tenantConfig()) {
  return buildTenant(config, { tenant: TENANT, storedToken, retry: { maxAttempts: 1 } });
}

/** The app `factory connect` signs in with (as cli's `oauthAppFor` assembles it). */
function appFor(spec: ProviderOAuth, roleConfig: ProviderConfig, env = environment()): OAuthAppOptions {
  const configured = roleConfig.oauth as OAuthClientConfig | undefined;
  return {
    clientId: configured?.clientId ?? env[`${spec.envPrefix}_CLIENT_ID`],
    ...(configured?.clientSecret ? { clientSecret: configured.clientSecret } : {}),
    ...endpointOverrides(spec, configured, env),
    providerConfig: roleConfig,
  };
}

/** A connect whose browser follows the consent page back to the loopback listener. */
function browser(out = capture()): ConnectContext {
  return {
    tenant: TENANT,
    credentials: store,
    print: out.print,
    openUrl: (url) => browse(url),
  };
}

async function connect(port: Connectable, spec: ProviderOAuth, roleConfig: ProviderConfig, out = capture()) {
  return connectWithOAuth(port, browser(out), spec, appFor(spec, roleConfig));
}

describe('Jira: Atlassian OAuth 2.0 (3LO), the site chosen after consent', () => {
  it('signs in with audience and prompt=consent, keeps the cloud id of the configured site, and works through the gateway', async () => {
    const config = tenantConfig();
    const built = tenant(config);
    const [intake] = built.connectables[0] ?? [];
    if (!intake) throw new Error('no intake');
    const out = capture();

    const status = await connect(intake, JIRA_OAUTH, config.intentProvider, out);

    const consent = jira.oauth.requests.find((request) => request.method === 'GET');
    expect(consent?.params).toMatchObject({
      audience: 'api.atlassian.com',
      prompt: 'consent',
      scope: 'read:jira-work write:jira-work read:jira-user offline_access',
      client_id: ATLASSIAN_CLIENT.id,
    });
    const exchange = jira.oauth.requests.find((request) => request.method === 'POST');
    expect(exchange?.params).toMatchObject({
      grant_type: 'authorization_code',
      client_secret: ATLASSIAN_CLIENT.secret,
    });
    const stored = await store.get(TENANT, 'jira');
    expect(stored?.resource).toEqual({ id: JIRA_CLOUD_ID, url: SITE });
    expect(stored?.refreshToken).toBeDefined();
    expect(status).toMatchObject({ state: 'connected', identity: 'factory@acme.test @ acme.atlassian.net' });
    // What `factory check` prints: the tenant's connections, read from the store.
    const reports = await built.connections();
    expect(reports.find((report) => report.role === 'intake')).toMatchObject({
      provider: 'jira',
      status: { state: 'connected' },
    });

    const item = await built.ports.workItems.getWorkItem('TES-41');
    expect(item).toMatchObject({ key: 'TES-41', title: 'Export the report as JSON', state: 'todo' });
    await built.ports.workItems.setState(item as NonNullable<typeof item>, 'dispatched', {
      idempotencyKey: 'acme/10040/r1/dispatched',
    });
    expect(jira.statusOf('TES-41')?.name).toBe('In Progress');
    expect(jira.gatewayRequests).toContain(
      `POST /ex/jira/${JIRA_CLOUD_ID}/rest/api/3/issue/TES-41/transitions`,
    );
    expect(
      jira.gatewayRequests.some((request) =>
        request.startsWith(`GET /ex/jira/${JIRA_CLOUD_ID}/rest/api/3/issue/TES-41?`),
      ),
    ).toBe(true);
    expectNoSecrets(out.everything(), jira.oauth.secrets());
  });

  it('refuses a consent that granted other sites, listing them, and stores nothing', async () => {
    jira.grantedSites = [
      { id: 'cloud-beta', url: 'https://beta.atlassian.net', name: 'beta' },
      { id: 'cloud-gamma', url: 'https://gamma.atlassian.net', name: 'gamma' },
    ];
    const config = tenantConfig();
    const built = tenant(config);
    const [intake] = built.connectables[0] ?? [];
    if (!intake) throw new Error('no intake');
    const out = capture();

    const error = await rejectionOf(connect(intake, JIRA_OAUTH, config.intentProvider, out));

    expect(error.message).toBe(
      'the Atlassian sign-in granted no access to https://acme.atlassian.net (granted: https://beta.atlassian.net, https://gamma.atlassian.net); nothing was saved. Connect again and choose https://acme.atlassian.net on the consent page, or set siteUrl to one of the granted sites',
    );
    expect(store.records.size).toBe(0);
    expect((await intake.checkConnection()).state).toBe('needs-auth');
    expectNoSecrets([...out.everything(), error.message], jira.oauth.secrets());
  });

  it('refuses before the browser opens when the sign-in cannot be finished without the config', async () => {
    const built = tenant();
    const [intake] = built.connectables[0] ?? [];
    if (!intake) throw new Error('no intake');
    const { providerConfig: _config, ...app } = appFor(JIRA_OAUTH, tenantConfig().intentProvider);

    const error = await rejectionOf(connectWithOAuth(intake, browser(), JIRA_OAUTH, app));

    expect(error.message).toBe(
      "cannot connect jira: the Atlassian sign-in is finished from the provider's config, which was not given",
    );
    expect(jira.oauth.requests).toEqual([]);
  });

  it('a refreshed token (Atlassian rotates refresh tokens) keeps its site', async () => {
    jira.oauth.expiresIn = 60; // within the refresh window: the next read refreshes
    const config = tenantConfig();
    const built = tenant(config);
    const [intake] = built.connectables[0] ?? [];
    if (!intake) throw new Error('no intake');
    await connect(intake, JIRA_OAUTH, config.intentProvider);
    const first = await store.get(TENANT, 'jira');
    jira.oauth.expiresIn = 3600;

    expect(await built.ports.workItems.getWorkItem('TES-41')).toMatchObject({ key: 'TES-41' });

    const refreshed = await store.get(TENANT, 'jira');
    expect(jira.oauth.refreshes).toBeGreaterThan(0);
    expect(refreshed?.refreshToken).not.toBe(first?.refreshToken);
    expect(refreshed?.resource).toEqual({ id: JIRA_CLOUD_ID, url: SITE });
    expect(refreshAt.get('jira')).toBe(`${jira.url}/oauth/token`);
  });

  it('a token stored for another site than the config names now is needs-auth, saying so', async () => {
    const built = tenant();
    await store.put(TENANT, 'jira', {
      accessToken: 'atl-access-not-issued',
      scopes: [],
      resource: { id: 'cloud-beta', url: 'https://beta.atlassian.net' },
    });
    const [intake] = built.connectables[0] ?? [];
    expect(await intake?.checkConnection()).toEqual({
      state: 'needs-auth',
      reason:
        'the stored token is for https://beta.atlassian.net, not https://acme.atlassian.net; run `factory connect jira`',
    });
  });
});

describe('GitLab: OAuth with PKCE at a self-managed instance', () => {
  it('signs in at <baseUrl>/oauth with PKCE and no client secret; the output target reads with the token as Bearer', async () => {
    const config = tenantConfig();
    const built = tenant(config);
    const [output] = built.connectables[2] ?? [];
    if (!output) throw new Error('no output target');
    expect((await output.checkConnection()).state).toBe('needs-auth');
    const out = capture();

    const status = await connect(output, GITLAB_OAUTH, config.outputTarget, out);

    const [consent, exchange] = gitlab.oauth.requests;
    expect(consent?.path).toBe('/oauth/authorize');
    expect(consent?.params).toMatchObject({ scope: 'api', code_challenge_method: 'S256' });
    expect(exchange?.path).toBe('/oauth/token');
    expect(exchange?.params.code_verifier).toBeDefined();
    expect(exchange?.params).not.toHaveProperty('client_secret');
    expect(status).toEqual({ state: 'connected', identity: 'factory-bot', grantedScopes: ['api'] });
    expect((await store.get(TENANT, 'gitlab'))?.accessToken).toMatch(/^gloas-/);

    expect(await built.ports.outputs.getOutput('acme/web!7')).toMatchObject({
      id: 'acme/web!7',
      state: 'ready',
    });
    expect(gitlab.authentications.every((kind) => kind === 'bearer')).toBe(true);
    // A refresh goes to the instance that issued the token, not gitlab.com.
    expect(refreshAt.get('gitlab')).toBe(`${gitlab.url}/oauth/token`);
    expectNoSecrets(out.everything(), gitlab.oauth.secrets());
  });

  it('a confidential application sends its secret, given in the oauth: block', async () => {
    gitlab.oauth = new OAuthGrants({
      client: { ...GITLAB_APP, secret: 'gitlab-app-secret' },
      tokenPrefix: 'gloas-',
    });
    const env = { ...environment(), GITLAB_CLIENT_SECRET: 'gitlab-app-secret' };
    const config = tenantConfig(env);
    const built = tenant(config);
    const [output] = built.connectables[2] ?? [];
    if (!output) throw new Error('no output target');

    const status = await connectWithOAuth(
      output,
      browser(),
      GITLAB_OAUTH,
      appFor(GITLAB_OAUTH, config.outputTarget, env),
    );

    expect(status.state).toBe('connected');
    expect(gitlab.oauth.requests.at(-1)?.params.client_secret).toBe('gitlab-app-secret');
  });
});
