// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs hold ${ENV_VAR} references literally.
import { describe, expect, it } from 'vitest';
import {
  buildTenant,
  parseTenantConfig,
  type Role,
  SecretResolver,
  TenantConfigError,
} from '../src/registry.ts';

/** The seed's config: three lines, each a provider by its bare name. */
const SEED = { intentProvider: 'linear', clarificationChannel: 'slack', outputTarget: 'github' };

function problems(input: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseTenantConfig(input, { env });
  } catch (error) {
    if (error instanceof TenantConfigError)
      return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('a provider given by its bare name', () => {
  it('is that provider with its defaults, secrets from their usual variables when those are set', () => {
    const secrets = new SecretResolver({
      LINEAR_API_KEY: 'lin_api_key',
      LINEAR_WEBHOOK_SECRET: 'lin_hook',
      SLACK_SIGNING_SECRET: 'slack_signing',
      GITHUB_WEBHOOK_SECRET: 'gh_hook',
    });
    const config = parseTenantConfig(SEED, { secrets });

    expect(config.intentProvider).toMatchObject({
      type: 'linear',
      transport: 'direct',
      provider: 'linear',
      apiKey: 'lin_api_key',
      webhookSecret: 'lin_hook',
      readyStates: ['Todo'],
      requiredLabels: ['factory'],
    });
    expect(config.clarificationChannel).toMatchObject({
      type: 'slack',
      transport: 'direct',
      signingSecret: 'slack_signing',
      privateChannel: false,
    });
    expect(config.clarificationChannel.botToken).toBeUndefined();
    expect(config.outputTarget).toMatchObject({
      type: 'github',
      transport: 'direct',
      webhookSecret: 'gh_hook',
      baseUrl: 'https://api.github.com',
    });
    // Every value read counts as a secret, for the logger to scrub.
    expect([...secrets.values].sort()).toEqual(['gh_hook', 'lin_api_key', 'lin_hook', 'slack_signing']);
  });

  it('loads with no variable set: tokens then come from `factory connect`, the rest is asked for before work', () => {
    const config = parseTenantConfig(SEED, { env: {} });
    expect(config.fleet).toBeUndefined();
    const tenant = buildTenant(config, { tenant: 'acme' });

    expect(tenant.connectables.map(([port, role]) => [port.provider, role])).toEqual([
      ['linear', 'intake'],
      ['slack', 'clarification'],
      ['github', 'output'],
    ]);
    expect(tenant.sources).toEqual([]);
    expect(tenant.missing.map((requirement) => [requirement.path.join('.'), requirement.fix])).toEqual([
      ['intentProvider.webhookSecret', 'set LINEAR_WEBHOOK_SECRET (or write webhookSecret: ${NAME})'],
      [
        'clarificationChannel.channel',
        'add its id, e.g. clarificationChannel: { type: slack, channel: C0123456789 }',
      ],
      ['clarificationChannel.signingSecret', 'set SLACK_SIGNING_SECRET (or write signingSecret: ${NAME})'],
      ['outputTarget.webhookSecret', 'set GITHUB_WEBHOOK_SECRET (or write webhookSecret: ${NAME})'],
    ]);
  });

  it.each<[Role, string, Record<string, unknown>]>([
    ['intentProvider', 'linear', { type: 'linear', transport: 'direct', apiKey: 'from-env' }],
    ['clarificationChannel', 'slack', { type: 'slack', transport: 'direct', botToken: 'from-env' }],
    ['clarificationChannel', 'comments', { type: 'comments', transport: 'direct', provider: 'comments' }],
    ['outputTarget', 'github', { type: 'github', transport: 'direct', token: 'from-env' }],
    [
      'outputTarget',
      'gitlab',
      { type: 'gitlab', transport: 'direct', token: 'from-env', baseUrl: 'https://gitlab.com' },
    ],
  ])('%s: %s', (role, name, expected) => {
    const env = {
      LINEAR_API_KEY: 'from-env',
      SLACK_BOT_TOKEN: 'from-env',
      GITHUB_TOKEN: 'from-env',
      GITLAB_TOKEN: 'from-env',
    };
    const input = { ...SEED, intentProvider: 'linear', [role]: name };
    expect(parseTenantConfig(input, { env })[role]).toMatchObject(expected);
  });

  it('is the same as the mapping with only its type', () => {
    const env = { LINEAR_WEBHOOK_SECRET: 'lin_hook' };
    const mapping = {
      intentProvider: { type: 'linear' },
      clarificationChannel: { type: 'slack' },
      outputTarget: { type: 'github' },
    };
    expect(parseTenantConfig(SEED, { env })).toEqual(parseTenantConfig(mapping, { env }));
  });

  it('a written reference still wins over the default, and must be set', () => {
    const written = { ...SEED, intentProvider: { type: 'linear', apiKey: '${OTHER_LINEAR_KEY}' } };
    expect(
      parseTenantConfig(written, { env: { OTHER_LINEAR_KEY: 'other', LINEAR_API_KEY: 'default' } })
        .intentProvider.apiKey,
    ).toBe('other');
    expect(problems(written, { LINEAR_API_KEY: 'default' })).toEqual([
      'intentProvider.apiKey: environment variable OTHER_LINEAR_KEY is not set',
    ]);
  });
});

describe('a bare name refused', () => {
  it.each([
    [
      'intentProvider',
      'jira',
      'jira needs more than its name: add siteUrl, e.g. intentProvider: { type: jira, siteUrl: https://acme.atlassian.net }',
    ],
    [
      'intentProvider',
      'github-issues',
      'github-issues needs more than its name: add repositories, e.g. intentProvider: { type: github-issues, repositories: [{ repository: acme/app }] }',
    ],
  ])('%s: %s names what to add, with an example', (role, name, message) => {
    expect(problems({ ...SEED, [role]: name })).toEqual([`${role}: ${message}`]);
  });

  it.each([
    [
      'intentProvider',
      'asana',
      'intentProvider: expected one of: linear, jira, github-issues (a name, or a mapping with `type:` and its settings), got "asana"',
    ],
    [
      'clarificationChannel',
      'teams',
      'clarificationChannel: expected one of: slack, comments, linear-agent (a name, or a mapping with `type:` and its settings), got "teams"',
    ],
    [
      'outputTarget',
      'slack',
      'outputTarget: expected one of: github, gitlab (a name, or a mapping with `type:` and its settings), got "slack"',
    ],
    [
      'outputTarget',
      42,
      'outputTarget: expected one of: github, gitlab (a name, or a mapping with `type:` and its settings), got 42',
    ],
  ])('%s: %j names the types there are, once each', (role, value, message) => {
    expect(problems({ ...SEED, [role]: value })).toEqual([message]);
  });

  it('a mapping of an unknown type, or with none, names the types', () => {
    expect(problems({ ...SEED, intentProvider: { type: 'asana' } })).toEqual([
      'intentProvider.type: expected one of: linear, jira, github-issues, got "asana"',
    ]);
    expect(problems({ ...SEED, intentProvider: {} })).toEqual([
      'intentProvider.type: is required: expected one of: linear, jira, github-issues',
    ]);
    expect(problems({ clarificationChannel: 'slack', outputTarget: 'github' })).toEqual([
      'intentProvider: is required: expected one of: linear, jira, github-issues',
    ]);
  });

  it('a transport the provider does not have names its transports', () => {
    expect(problems({ ...SEED, outputTarget: { type: 'github', transport: 'ftp' } })).toEqual([
      'outputTarget.transport: expected one of: direct, relayfile, got "ftp"',
    ]);
  });
});
