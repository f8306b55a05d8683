// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs write ${NAME} references literally.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { workspaceSources } from '../../../scripts/workspace-sources.ts';
import {
  buildTenant,
  type Environment,
  OAuthEndpointError,
  parseTenantConfig,
  remoteProvidersOf,
} from '../src/registry.ts';

/** The OAuth apps of a deployment, as its environment gives them. */
const APPS: Environment = {
  LINEAR_CLIENT_ID: 'linear-client',
  LINEAR_CLIENT_SECRET: 'linear-secret-never-logged',
  SLACK_CLIENT_ID: 'slack-client',
  SLACK_CLIENT_SECRET: 'slack-secret-never-logged',
  GITHUB_CLIENT_ID: 'github-client',
};

const LINEAR_SLACK_GITHUB = {
  intentProvider: { type: 'linear' },
  clarificationChannel: { type: 'slack', channel: 'C0123456789' },
  outputTarget: { type: 'github' },
};

/** The deployed app's sign-ins for a tenant config, parsed and built with `env` as the platform would. */
function signInsOf(input: unknown, env: Environment = APPS) {
  const config = parseTenantConfig(input, { env });
  return remoteProvidersOf(config, buildTenant(config, { tenant: 'acme' }), env);
}

describe('remoteProvidersOf: the providers the deployed app signs in to', () => {
  it('is every provider with an OAuth app whose token the config leaves to a sign-in: Linear, Slack and GitHub', async () => {
    const signIns = signInsOf(LINEAR_SLACK_GITHUB);

    expect(
      signIns.map(({ name, flow, client, requiredScopes }) => ({ name, flow, client, requiredScopes })),
    ).toEqual([
      {
        name: 'linear',
        flow: 'authorization-code',
        client: { clientId: 'linear-client', clientSecret: 'linear-secret-never-logged' },
        requiredScopes: ['read', 'write'],
      },
      {
        name: 'slack',
        flow: 'authorization-code',
        client: { clientId: 'slack-client', clientSecret: 'slack-secret-never-logged' },
        requiredScopes: ['chat:write', 'channels:history', 'channels:read'],
      },
      { name: 'github', flow: 'device', client: { clientId: 'github-client' }, requiredScopes: ['repo'] },
    ]);
    expect(signIns[1]?.oauth).toEqual({
      name: 'slack',
      authorizationEndpoint: 'https://slack.com/oauth/v2/authorize',
      tokenEndpoint: 'https://slack.com/api/oauth.v2.access',
      scopeSeparator: ',',
      defaultScopes: ['chat:write', 'channels:history', 'channels:read'],
      clientAuthentication: 'basic',
      extraTokenTypes: ['bot', 'user'],
    });
    // Nothing is stored yet: each one's check is its port's, which says so.
    expect((await signIns[0]?.check())?.state).toBe('needs-auth');
  });

  it('leaves out a provider whose token the config gives, written or by its default variable', () => {
    const names = (input: unknown, env: Environment) => signInsOf(input, env).map((signIn) => signIn.name);

    expect(names(LINEAR_SLACK_GITHUB, { ...APPS, SLACK_BOT_TOKEN: 'xoxb-given' })).toEqual([
      'linear',
      'github',
    ]);
    expect(
      names(
        { ...LINEAR_SLACK_GITHUB, intentProvider: { type: 'linear', apiKey: '${LINEAR_KEY}' } },
        { ...APPS, LINEAR_KEY: 'lin_api_given' },
      ),
    ).toEqual(['slack', 'github']);
  });

  it('leaves out a provider with no OAuth app: no client id, or no secret where the vendor redeems codes only with it', () => {
    const { GITHUB_CLIENT_ID: _github, ...withoutGithub } = APPS;
    expect(signInsOf(LINEAR_SLACK_GITHUB, withoutGithub).map((signIn) => signIn.name)).toEqual([
      'linear',
      'slack',
    ]);
    const { SLACK_CLIENT_SECRET: _secret, ...withoutSlackSecret } = APPS;
    expect(signInsOf(LINEAR_SLACK_GITHUB, withoutSlackSecret).map((signIn) => signIn.name)).toEqual([
      'linear',
      'github',
    ]);
  });

  it('applies the endpoint overrides of the environment, and the oauth: block’s token URL where none is set', () => {
    const env = {
      ...APPS,
      LINEAR_OAUTH_AUTHORIZATION_URL: 'http://127.0.0.1:4010/linear/oauth/authorize',
      GITHUB_OAUTH_DEVICE_URL: 'http://127.0.0.1:4010/github/login/device/code',
      GITHUB_OAUTH_TOKEN_URL: 'http://127.0.0.1:4010/github/login/oauth/access_token',
    };
    const [linear, , github] = signInsOf(
      {
        ...LINEAR_SLACK_GITHUB,
        intentProvider: {
          type: 'linear',
          oauth: { clientId: 'configured-client', tokenUrl: 'https://linear.acme.test/oauth/token' },
        },
      },
      env,
    );

    // The block names the app; its secret, left out, comes from LINEAR_CLIENT_SECRET as for `factory connect`.
    expect(linear?.client).toEqual({
      clientId: 'configured-client',
      clientSecret: 'linear-secret-never-logged',
    });
    expect(linear?.oauth).toMatchObject({
      authorizationEndpoint: 'http://127.0.0.1:4010/linear/oauth/authorize',
      tokenEndpoint: 'https://linear.acme.test/oauth/token',
    });
    expect(github?.oauth).toMatchObject({
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      deviceAuthorizationEndpoint: 'http://127.0.0.1:4010/github/login/device/code',
      tokenEndpoint: 'http://127.0.0.1:4010/github/login/oauth/access_token',
    });
    // The environment wins over the config, as for `factory connect`.
    const [overridden] = signInsOf(
      {
        ...LINEAR_SLACK_GITHUB,
        intentProvider: {
          type: 'linear',
          oauth: { clientId: 'c', tokenUrl: 'https://linear.acme.test/oauth/token' },
        },
      },
      { ...env, LINEAR_OAUTH_TOKEN_URL: 'http://127.0.0.1:4010/linear/oauth/token' },
    );
    expect(overridden?.oauth.tokenEndpoint).toBe('http://127.0.0.1:4010/linear/oauth/token');
  });

  it('refuses an endpoint variable that is no URL, naming the variable', () => {
    expect(() => signInsOf(LINEAR_SLACK_GITHUB, { ...APPS, SLACK_OAUTH_TOKEN_URL: 'slack.com/api' })).toThrow(
      new OAuthEndpointError('SLACK_OAUTH_TOKEN_URL'),
    );
    expect(new OAuthEndpointError('SLACK_OAUTH_TOKEN_URL').message).toBe(
      'SLACK_OAUTH_TOKEN_URL is not an http(s) URL',
    );
  });

  it('lists one provider name once when two roles share it (GitHub Issues and GitHub as "github")', async () => {
    const signIns = signInsOf({
      intentProvider: {
        type: 'github-issues',
        provider: 'github',
        repositories: [{ repository: 'acme/web' }],
      },
      clarificationChannel: { type: 'comments' },
      outputTarget: { type: 'github' },
    });

    expect(signIns.map((signIn) => [signIn.name, signIn.requiredScopes])).toEqual([['github', ['repo']]]);
    expect((await signIns[0]?.check())?.state).toBe('needs-auth');
  });

  it('Jira: Atlassian’s consent parameters, offline_access, and the site chosen with the tenant’s config', async () => {
    const [jira, gitlab] = signInsOf(
      {
        intentProvider: { type: 'jira', siteUrl: 'https://acme.atlassian.net' },
        clarificationChannel: { type: 'comments' },
        outputTarget: { type: 'gitlab', baseUrl: 'https://gitlab.acme.test/' },
      },
      {
        JIRA_CLIENT_ID: 'atlassian-client',
        JIRA_CLIENT_SECRET: 'atl-secret',
        GITLAB_CLIENT_ID: 'gitlab-client',
      },
    );

    expect(jira).toMatchObject({
      name: 'jira',
      flow: 'authorization-code',
      client: { clientId: 'atlassian-client', clientSecret: 'atl-secret' },
      requiredScopes: ['read:jira-work', 'write:jira-work', 'read:jira-user', 'offline_access'],
      authorizationParameters: { audience: 'api.atlassian.com', prompt: 'consent' },
      oauth: {
        authorizationEndpoint: 'https://auth.atlassian.com/authorize',
        tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
        scopeSeparator: ' ',
      },
    });
    const asked: string[] = [];
    const atlassian = async (input: string | URL | Request, init?: RequestInit) => {
      asked.push(`${String(input)} ${new Headers(init?.headers).get('authorization')}`);
      return Response.json([
        { id: 'cloud-beta', url: 'https://beta.atlassian.net', name: 'beta', scopes: [] },
        { id: 'cloud-acme', url: 'https://acme.atlassian.net', name: 'acme', scopes: [] },
      ]);
    };
    const completed = await jira?.completeCredential?.({ accessToken: 'atl-token', scopes: [] }, atlassian);
    expect(completed?.resource).toEqual({ id: 'cloud-acme', url: 'https://acme.atlassian.net' });
    expect(asked).toEqual(['https://api.atlassian.com/oauth/token/accessible-resources Bearer atl-token']);

    expect(gitlab).toMatchObject({
      name: 'gitlab',
      client: { clientId: 'gitlab-client' },
      requiredScopes: ['api'],
      oauth: {
        authorizationEndpoint: 'https://gitlab.acme.test/oauth/authorize',
        tokenEndpoint: 'https://gitlab.acme.test/oauth/token',
      },
    });
    expect(gitlab).not.toHaveProperty('completeCredential');
  });
});

describe('the registry entry', () => {
  it('bundles none of auth’s code: remote-providers imports its types only', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/registry.ts', import.meta.url))],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      alias: workspaceSources(),
      mainFields: ['module', 'main'],
      external: ['node:*'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.endsWith('registry/remote-providers.ts'))).toBe(true);
    expect(inputs.filter((input) => input.includes('packages/auth/'))).toEqual([]);
  });
});
