// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs and messages hold ${ENV_VAR} references literally.
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { runFactory } from './support/factory-process.ts';
import { tempDir } from './support/onboarding-vendors.ts';

/** The seed's config, as it was written: three lines, each role a provider by its bare name. */
const SEED = 'intentProvider: linear\nclarificationChannel: slack\noutputTarget: github\n';

async function load(text: string, env: Record<string, string> = {}) {
  return parseConfig(text, { fileName: 'factory.config.yaml', baseDir: tmpdir(), env });
}

async function problemsOf(text: string, env: Record<string, string> = {}): Promise<readonly string[]> {
  try {
    await load(text, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('a provider by its bare name loads as that provider with its defaults', () => {
  it('the seed’s three lines: no fleet, no variable set, and still a config', async () => {
    const config = await load(SEED);
    const [tenant] = config.tenants;
    expect(tenant).toMatchObject({
      id: 'default',
      intentProvider: {
        type: 'linear',
        transport: 'direct',
        readyStates: ['Todo'],
        requiredLabels: ['factory'],
      },
      clarificationChannel: { type: 'slack', transport: 'direct' },
      outputTarget: { type: 'github', transport: 'direct', baseUrl: 'https://api.github.com' },
    });
    expect(tenant?.fleet).toBeUndefined();
    expect(tenant?.intentProvider.apiKey).toBeUndefined();
    expect(config.secrets.size).toBe(0);
  });

  it.each([
    [
      'intentProvider',
      'linear',
      { LINEAR_API_KEY: 'lin', LINEAR_WEBHOOK_SECRET: 'linhook' },
      { apiKey: 'lin', webhookSecret: 'linhook' },
    ],
    [
      'clarificationChannel',
      'slack',
      { SLACK_BOT_TOKEN: 'xoxb', SLACK_SIGNING_SECRET: 'sign' },
      { botToken: 'xoxb', signingSecret: 'sign' },
    ],
    ['clarificationChannel', 'comments', {}, { type: 'comments', transport: 'direct' }],
    [
      'outputTarget',
      'github',
      { GITHUB_TOKEN: 'ghp', GITHUB_WEBHOOK_SECRET: 'ghhook' },
      { token: 'ghp', webhookSecret: 'ghhook' },
    ],
    [
      'outputTarget',
      'gitlab',
      { GITLAB_TOKEN: 'glpat', GITLAB_WEBHOOK_SECRET: 'glhook' },
      { token: 'glpat', webhookSecret: 'glhook', baseUrl: 'https://gitlab.com' },
    ],
  ])('%s: %s reads its secrets from their usual variables', async (role, name, env, expected) => {
    const text = SEED.replace(new RegExp(`^${role}: .*$`, 'm'), `${role}: ${name}`);
    const config = await load(text, env);
    expect(config.tenants[0]?.[role as 'intentProvider']).toMatchObject(expected);
    // Values read from variables are secrets like any other: the logger scrubs them.
    for (const value of Object.values(env)) expect(config.secrets.has(value)).toBe(true);
  });

  it('the OAuth app `factory connect` uses comes from <VENDOR>_CLIENT_ID, so stored tokens refresh', async () => {
    const config = await load(SEED, { LINEAR_CLIENT_ID: 'lin-client', LINEAR_CLIENT_SECRET: 'lin-secret' });
    expect(config.tenants[0]?.intentProvider.oauth).toEqual({
      clientId: 'lin-client',
      clientSecret: 'lin-secret',
    });
    expect(config.secrets.has('lin-secret')).toBe(true);
  });
});

describe('a bare name or a type refused, at its line and column, naming the types there are', () => {
  it.each([
    [
      'a tracker that needs more than its name',
      'intentProvider: jira',
      'factory.config.yaml:1:17 intentProvider: jira needs more than its name: add siteUrl, e.g. intentProvider: { type: jira, siteUrl: https://acme.atlassian.net }',
    ],
    [
      'GitHub Issues without its repositories',
      'intentProvider: github-issues',
      'factory.config.yaml:1:17 intentProvider: github-issues needs more than its name: add repositories, e.g. intentProvider: { type: github-issues, repositories: [{ repository: acme/app }] }',
    ],
    [
      'a name no provider has',
      'intentProvider: asana',
      'factory.config.yaml:1:17 intentProvider: expected one of: linear, jira, github-issues (a name, or a mapping with `type:` and its settings), got "asana"',
    ],
    [
      'a provider in a role it cannot play',
      'intentProvider: slack',
      'factory.config.yaml:1:17 intentProvider: expected one of: linear, jira, github-issues (a name, or a mapping with `type:` and its settings), got "slack"',
    ],
    [
      'a list',
      'intentProvider: [linear]',
      'factory.config.yaml:1:17 intentProvider: expected one of: linear, jira, github-issues (a name, or a mapping with `type:` and its settings), got a list',
    ],
  ])('%s', async (_, line, problem) => {
    expect(await problemsOf(SEED.replace('intentProvider: linear', line))).toEqual([problem]);
  });

  it('a role left out names its types once, not one phrase per member', async () => {
    expect(await problemsOf('clarificationChannel: slack\noutputTarget: github\n')).toEqual([
      'factory.config.yaml:1:1 intentProvider: is required: expected one of: linear, jira, github-issues',
    ]);
  });

  it('a mapping whose type is unknown names the types', async () => {
    expect(
      await problemsOf(SEED.replace('outputTarget: github', 'outputTarget: { type: bitbucket }')),
    ).toEqual([
      'factory.config.yaml:3:23 outputTarget.type: expected one of: github, gitlab, got "bitbucket"',
    ]);
  });

  it('a fleet that is not a mapping names the fleet types', async () => {
    expect(await problemsOf(`${SEED}fleet: local\n`)).toEqual([
      'factory.config.yaml:4:8 fleet: expected one of: local, http, github-actions, agent-relay (a mapping with `type:` and its settings), got "local"',
    ]);
  });
});

describe('the seed’s three lines through the CLI, as a person runs it', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('factory-seed-');
    execFileSync('git', ['init', '--quiet', dir]);
    await writeFile(path.join(dir, 'factory.config.yaml'), SEED);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const factory = (args: string[]) => runFactory(args, { cwd: dir, env: {} });

  it('factory check: a row for linear, slack and github, what start will ask for, exit 1 (needs auth)', async () => {
    const result = await factory(['check']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [
        'PROVIDER  ROLE           STATUS        MISSING SCOPES  FIX',
        'linear    intake         ✗ needs-auth                  factory connect linear',
        'slack     clarification  ✗ needs-auth                  factory connect slack',
        'github    output         ✗ needs-auth                  factory connect github',
        '',
        'linear: no Linear token is configured',
        'slack: no Slack token is configured',
        'github: github is not authorised: no GitHub token is configured; run `factory connect github`',
        '',
        `Stored tokens: no credentials stored yet (${path.join(dir, '.factory', 'credentials.enc')}).`,
        '',
        'Before `factory start` takes work:',
        '  fleet: where agents run; add fleet: { type: local, command: claude -p, repository: . }',
        '  intentProvider.webhookSecret: the secret Linear signs its webhooks with; set LINEAR_WEBHOOK_SECRET (or write webhookSecret: ${NAME})',
        '  clarificationChannel.channel: the Slack channel questions are asked in; add its id, e.g. clarificationChannel: { type: slack, channel: C0123456789 }',
        '  clarificationChannel.signingSecret: the secret Slack signs its webhooks with; set SLACK_SIGNING_SECRET (or write signingSecret: ${NAME})',
        '  outputTarget.webhookSecret: the secret GitHub signs its webhooks with; set GITHUB_WEBHOOK_SECRET (or write webhookSecret: ${NAME})',
        '',
      ].join('\n'),
    );
  });

  it('factory check --json: the same, with what is missing as data', async () => {
    const result = await factory(['check', '--json']);
    expect(result.code).toBe(1);
    const answer = JSON.parse(result.stdout) as {
      ok: boolean;
      providers: { provider: string; state: string }[];
      missing: { field: string }[];
    };
    expect(answer.ok).toBe(false);
    expect(answer.providers.map((row) => [row.provider, row.state])).toEqual([
      ['linear', 'needs-auth'],
      ['slack', 'needs-auth'],
      ['github', 'needs-auth'],
    ]);
    expect(answer.missing.map((need) => need.field)).toEqual([
      'fleet',
      'intentProvider.webhookSecret',
      'clarificationChannel.channel',
      'clarificationChannel.signingSecret',
      'outputTarget.webhookSecret',
    ]);
  });

  it('factory check with the variables set and a fleet and channel added asks only for connecting', async () => {
    await writeFile(
      path.join(dir, 'factory.config.yaml'),
      `${SEED.replace('clarificationChannel: slack', 'clarificationChannel: { type: slack, channel: C0123456789 }')}fleet: { type: local, command: git }\n`,
    );
    const result = await runFactory(['check'], {
      cwd: dir,
      env: { LINEAR_WEBHOOK_SECRET: 'a', SLACK_SIGNING_SECRET: 'b', GITHUB_WEBHOOK_SECRET: 'c' },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('local fleet  agent command  ✓ ok');
    expect(result.stdout).not.toContain('Before `factory start`');
  });

  it('factory connect --help names every provider it can sign in to, from the registry', async () => {
    const result = await factory(['connect', '--help']);
    expect(result.code).toBe(0);
    const help = result.stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      'sign in to a provider (Linear, Atlassian, Slack, and GitLab in the browser, GitHub with a device code)',
    );
    expect(help).toContain(
      'the provider as `factory check` names it: linear, jira, github-issues, slack, github, gitlab',
    );
  });

  it('factory connect linear loads the seed and says what it needs to store a token', async () => {
    const result = await factory(['connect', 'linear']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `factory: set FACTORY_CREDENTIALS_KEY (a passphrase of at least 12 characters) or FACTORY_CREDENTIALS_KEY_FILE (a key file): tokens are stored encrypted in ${path.join(dir, '.factory', 'credentials.enc')}\n`,
    );
  });

  it('factory start refuses with exit 2, one line per missing piece naming what to add, and listens nowhere', async () => {
    const result = await factory(['start']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      'factory: fleet: where agents run; add fleet: { type: local, command: claude -p, repository: . }',
      'factory: intentProvider.webhookSecret: the secret Linear signs its webhooks with; set LINEAR_WEBHOOK_SECRET (or write webhookSecret: ${NAME})',
      'factory: clarificationChannel.channel: the Slack channel questions are asked in; add its id, e.g. clarificationChannel: { type: slack, channel: C0123456789 }',
      'factory: clarificationChannel.signingSecret: the secret Slack signs its webhooks with; set SLACK_SIGNING_SECRET (or write signingSecret: ${NAME})',
      'factory: outputTarget.webhookSecret: the secret GitHub signs its webhooks with; set GITHUB_WEBHOOK_SECRET (or write webhookSecret: ${NAME})',
      'factory: not starting: factory.config.yaml needs 5 more settings to take work (above)',
      '',
    ]);
  });

  it('factory start with only the fleet missing says so, with an example', async () => {
    await writeFile(
      path.join(dir, 'factory.config.yaml'),
      SEED.replace(
        'clarificationChannel: slack',
        'clarificationChannel: { type: slack, channel: C0123456789 }',
      ),
    );
    const result = await runFactory(['start'], {
      cwd: dir,
      env: { LINEAR_WEBHOOK_SECRET: 'a', SLACK_SIGNING_SECRET: 'b', GITHUB_WEBHOOK_SECRET: 'c' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      [
        'factory: fleet: where agents run; add fleet: { type: local, command: claude -p, repository: . }',
        'factory: not starting: factory.config.yaml needs one more setting to take work (above)',
        '',
      ].join('\n'),
    );
  });
});
