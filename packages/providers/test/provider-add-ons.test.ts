import { describe, expect, it } from 'vitest';
import { githubApp } from '../src/github/app-add-on.ts';
import { GithubAppAuth } from '../src/github/app-auth.ts';
import { githubProvider } from '../src/github/index.ts';
import { githubIssuesProvider } from '../src/github-issues/index.ts';
import { linearAgentMode } from '../src/linear/agent-mode.ts';
import { LinearAgentWorkItemProvider } from '../src/linear/agent-work-item-provider.ts';
import { linearProvider } from '../src/linear/index.ts';
import { LinearWorkItemProvider } from '../src/linear/work-item-provider.ts';
import { providerRegistry } from '../src/registry/builtin-providers.ts';
import { ProviderRegistry } from '../src/registry/provider-registry.ts';
import { slackProvider } from '../src/slack/index.ts';
import { buildTenantWith } from '../src/tenant/build-tenant.ts';
import { parseTenantConfigWith, TenantConfigError } from '../src/tenant/tenant-config-schema.ts';

// Code only some tenants need is an add-on of its provider's entry (Linear's agent mode, GitHub App
// authentication): a registry carries it only when given it (so a bundle of tenants that do not use it
// holds none of its code), and a config that needs it is refused, at the field that asks for it, by a
// registry without it.

const env = {
  LINEAR_API_KEY: 'lin_api_key',
  LINEAR_WEBHOOK_SECRET: 'lin_wh_secret',
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'slack_secret',
  GITHUB_TOKEN: 'ghp_test',
  GITHUB_WEBHOOK_SECRET: 'gh_secret',
};

function tenant(mode?: 'issues' | 'agent') {
  return {
    intentProvider: { type: 'linear', ...(mode ? { mode } : {}) },
    clarificationChannel: { type: 'slack', channel: 'C0123456789' },
    outputTarget: 'github',
  };
}

const lean = new ProviderRegistry([linearProvider, slackProvider, githubProvider]);
const withAgentMode = new ProviderRegistry([linearProvider, slackProvider, githubProvider, linearAgentMode]);

function problems(registry: ProviderRegistry, input: unknown): string[] {
  try {
    parseTenantConfigWith(registry, input, { env });
  } catch (error) {
    if (error instanceof TenantConfigError)
      return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('Linear agent mode as an add-on', () => {
  it('a registry without it refuses mode: agent at intentProvider.mode, saying how to carry it', () => {
    expect(problems(lean, tenant('agent'))).toEqual([
      'intentProvider.mode: Linear’s agent mode (mode: agent) is not in this build: its providers carry no "linear-agent-mode" add-on (register it with them; `factory deploy` adds it when a tenant of the config uses it, or when the admin API is on)',
    ]);
  });

  it('a registry without it still takes issues mode, stated or by default', () => {
    for (const mode of [undefined, 'issues'] as const) {
      const config = parseTenantConfigWith(lean, tenant(mode), { env });
      const built = buildTenantWith(lean, config, { tenant: 'acme' });
      expect(built.ports.workItems).toBeInstanceOf(LinearWorkItemProvider);
    }
  });

  it('a registry with it builds the agent intake and its session source', () => {
    const config = parseTenantConfigWith(withAgentMode, tenant('agent'), { env });
    const built = buildTenantWith(withAgentMode, config, { tenant: 'acme' });
    expect(built.ports.workItems).toBeInstanceOf(LinearAgentWorkItemProvider);
    expect(built.missing).toEqual([]);
    expect(built.sources.map((source) => source.source)).toEqual(['linear', 'slack', 'github']);
  });

  it('a config parsed elsewhere and built by a registry without it fails naming the add-on', () => {
    const config = parseTenantConfigWith(withAgentMode, tenant('agent'), { env });
    expect(() => buildTenantWith(lean, config, { tenant: 'acme' })).toThrow(
      'intentProvider: Linear’s agent mode is not in this build: register linearAgentMode with the providers',
    );
  });

  it('the built-in registry carries it, and a registry made from another with `with` keeps it', () => {
    expect(providerRegistry.addOns()).toEqual([linearAgentMode, githubApp]);
    expect(problems(providerRegistry, tenant('agent'))).toEqual([]);
    expect(withAgentMode.with().addOn('linear-agent-mode')).toBe(linearAgentMode.part);
    expect(lean.with(linearAgentMode).addOn('linear-agent-mode')).toBe(linearAgentMode.part);
    expect(lean.addOn('linear-agent-mode')).toBeUndefined();
  });
});

describe('GitHub App authentication as an add-on', () => {
  const appTenant = (type: 'github' | 'github-issues') =>
    type === 'github'
      ? { ...tenant(), outputTarget: { type: 'github', app: {} } }
      : {
          intentProvider: { type: 'github-issues', repositories: [{ repository: 'acme/app' }], app: {} },
          clarificationChannel: { type: 'slack', channel: 'C0123456789' },
          outputTarget: 'github',
        };
  const carried = [linearProvider, githubIssuesProvider, slackProvider, githubProvider];

  it.each([
    ['github', 'outputTarget.app'],
    ['github-issues', 'intentProvider.app'],
  ] as const)('a registry without it refuses app: of %s at %s', (type, path) => {
    expect(problems(new ProviderRegistry(carried), appTenant(type))).toEqual([
      `${path}: a GitHub App (app:) is not in this build: its providers carry no "github-app" add-on (register it with them; \`factory deploy\` adds it when a tenant of the config uses it, or when the admin API is on)`,
    ]);
  });

  it.each(['github', 'github-issues'] as const)(
    'a registry with it builds %s as an App installation',
    (type) => {
      const registry = new ProviderRegistry([...carried, githubApp]);
      const config = parseTenantConfigWith(registry, appTenant(type), { env });
      const built = buildTenantWith(registry, config, { tenant: 'acme' });
      const port = type === 'github' ? built.ports.outputs : built.ports.workItems;
      expect((port as unknown as { github: { app: unknown } }).github.app).toBeInstanceOf(GithubAppAuth);
    },
  );

  it('a token config needs no add-on', () => {
    expect(problems(lean, tenant())).toEqual([]);
  });
});
