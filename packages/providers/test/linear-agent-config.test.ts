import { describe, expect, it } from 'vitest';
import { LINEAR_AGENT_SCOPES, LinearAgentWorkItemProvider } from '../src/linear/agent-work-item-provider.ts';
import { LINEAR_OAUTH } from '../src/linear/oauth.ts';
import { authorizationParametersOf } from '../src/registry/oauth-endpoints.ts';
import { remoteProvidersOf } from '../src/registry/remote-providers.ts';
import { buildTenant } from '../src/tenant/build-tenant.ts';
import { parseTenantConfig, TenantConfigError } from '../src/tenant/tenant-config-schema.ts';
import { LINEAR_APP_USER, LinearServer } from './support/linear-server.ts';

const env = {
  LINEAR_WEBHOOK_SECRET: 'lin_wh_secret',
  LINEAR_CLIENT_ID: 'linear-client-id',
  GITHUB_TOKEN: 'ghp_test',
  GITHUB_WEBHOOK_SECRET: 'gh_secret',
};

function tenant(intentProvider: unknown, clarificationChannel: unknown = 'linear-agent') {
  return {
    intentProvider,
    clarificationChannel,
    outputTarget: 'github',
  };
}

function problems(input: unknown): string[] {
  try {
    parseTenantConfig(input, { env });
  } catch (error) {
    if (error instanceof TenantConfigError)
      return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('Linear agent mode in the config', () => {
  it('is read from intentProvider.mode, and the session is the clarification channel', () => {
    const config = parseTenantConfig(tenant({ type: 'linear', mode: 'agent' }), { env });
    const built = buildTenant(config, { tenant: 'acme' });
    expect(built.missing).toEqual([]);
    expect(built.ports.workItems.requiredScopes).toEqual([
      'read',
      'write',
      'app:assignable',
      'app:mentionable',
    ]);
    expect(built.ports.clarifications.provider).toBe('linear-agent');
    expect(built.sources.map((source) => source.source)).toEqual(['linear', 'github']);
  });

  it('keeps today’s behaviour by default, with Slack still a choice in agent mode', () => {
    const plain = parseTenantConfig(tenant({ type: 'linear' }, { type: 'slack', channel: 'C0123456789' }), {
      env: { ...env, SLACK_SIGNING_SECRET: 's' },
    });
    expect(buildTenant(plain, { tenant: 'acme' }).ports.workItems.requiredScopes).toEqual(['read', 'write']);
    expect(
      problems(tenant({ type: 'linear', mode: 'agent' }, { type: 'slack', channel: 'C0123456789' })),
    ).toEqual([]);
  });

  it('refuses a mode it does not know, naming the field and the choices', () => {
    expect(problems(tenant({ type: 'linear', mode: 'robot' }))).toEqual([
      expect.stringMatching(/^intentProvider\.mode: .*"issues".*"agent"/),
    ]);
  });

  it('refuses the linear-agent channel without a Linear intake in agent mode', () => {
    expect(problems(tenant({ type: 'linear' }))).toEqual([
      'clarificationChannel.type: the linear-agent channel asks in the Linear agent session: it needs intentProvider: { type: linear, mode: agent }',
    ]);
  });

  it('refuses agent mode with the comments channel, whose answers would never arrive', () => {
    expect(problems(tenant({ type: 'linear', mode: 'agent' }, 'comments'))).toEqual([
      'clarificationChannel.type: in agent mode the factory asks in the agent session: use clarificationChannel: linear-agent (or a chat such as slack)',
    ]);
  });

  it('refuses agent mode over relayfile', () => {
    const found = problems({
      ...tenant({
        type: 'linear',
        transport: 'relayfile',
        mode: 'agent',
        stateIds: { dispatched: 'a', done: 'b' },
      }),
      mount: { type: 'directory', path: '/tmp/mount' },
    });
    expect(found.join('\n')).toContain('agent mode needs transport "direct"');
  });

  it('refuses a trusted author that is no Linear user id', () => {
    expect(
      problems(
        tenant(
          { type: 'linear', mode: 'agent' },
          { type: 'linear-agent', trustedAuthors: { users: ['ada'] } },
        ),
      ),
    ).toEqual([
      expect.stringMatching(/^clarificationChannel\.trustedAuthors\.users\.0: expected a Linear user id/),
    ]);
  });
});

describe('factory connect linear in agent mode', () => {
  it('installs the app: actor=app and exactly the agent scopes', () => {
    const config = parseTenantConfig(tenant({ type: 'linear', mode: 'agent' }), { env });
    const [linear] = remoteProvidersOf(config, buildTenant(config, { tenant: 'acme' }), env);
    expect(linear?.name).toBe('linear');
    expect(linear?.authorizationParameters).toEqual({ actor: 'app' });
    expect(linear?.requiredScopes).toEqual(['read', 'write', 'app:assignable', 'app:mentionable']);
  });

  it('signs in as the person, as before, without agent mode', () => {
    expect(authorizationParametersOf(LINEAR_OAUTH, { type: 'linear', transport: 'direct' })).toBeUndefined();
    expect(
      authorizationParametersOf(LINEAR_OAUTH, { type: 'linear', transport: 'direct', mode: 'agent' }),
    ).toEqual({
      actor: 'app',
    });
  });
});

describe('the agent-mode connection check', () => {
  it('is needs-auth while the token acts as a person, connected once it acts as the app', async () => {
    const server = await new LinearServer().start();
    try {
      const provider = () =>
        new LinearAgentWorkItemProvider({
          apiUrl: server.url,
          token: async () => ({ accessToken: 'lin_oauth_test_token', scopes: [...LINEAR_AGENT_SCOPES] }),
          retry: { sleep: async () => {} },
        });
      expect(await provider().checkConnection()).toEqual({
        state: 'needs-auth',
        reason: expect.stringContaining('this token acts as a person: run `factory connect linear`'),
      });
      server.viewer = LINEAR_APP_USER;
      expect(await provider().checkConnection()).toMatchObject({ state: 'connected' });
    } finally {
      await server.stop();
    }
  });

  it('is missing-scopes for an app token granted without the app scopes', async () => {
    const server = await new LinearServer().start();
    server.viewer = LINEAR_APP_USER;
    try {
      const provider = new LinearAgentWorkItemProvider({
        apiUrl: server.url,
        token: async () => ({ accessToken: 'lin_oauth_test_token', scopes: ['read', 'write'] }),
        retry: { sleep: async () => {} },
      });
      expect(await provider.checkConnection()).toMatchObject({
        state: 'missing-scopes',
        missing: ['app:assignable', 'app:mentionable'],
      });
    } finally {
      await server.stop();
    }
  });
});
