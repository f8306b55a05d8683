// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs hold ${ENV_VAR} references literally.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.ts';
import { runFactory } from './support/factory-process.ts';
import { expectOneLineError, tempDir } from './support/onboarding-vendors.ts';
import { KEY, PseudoTerminal } from './support/pseudo-terminal.ts';

let dir: string;
// Each test's own folder goes when that test finishes: with the concurrent table below, an afterEach
// would see only the `dir` of the last beforeEach.
beforeEach(async ({ onTestFinished }) => {
  let own: string | undefined;
  onTestFinished(() => (own ? rm(own, { recursive: true, force: true }) : undefined));
  own = await tempDir('factory-init-');
  dir = own;
});

/** The variables the written configs reference, as a person would set them before `factory start`. */
const SECRETS = {
  LINEAR_WEBHOOK_SECRET: 'lin_wh_secret_0123456789',
  SLACK_SIGNING_SECRET: 'slack_signing_secret_0123456789',
  GITHUB_WEBHOOK_SECRET: 'gh_wh_secret_0123456789',
  JIRA_API_TOKEN: 'jira_api_token_0123456789',
  JIRA_WEBHOOK_SECRET: 'jira_wh_secret_0123456789',
  GITLAB_TOKEN: 'glpat-0123456789abcdef',
  GITLAB_WEBHOOK_SECRET: 'gl_wh_secret_0123456789',
};

const LINEAR_SLACK_GITHUB = [
  '--intent',
  'linear',
  '--channel',
  'slack',
  '--output',
  'github',
  '--fleet',
  'local',
  '--slack-channel',
  'C0123456789',
];

const init = (args: readonly string[], env: Record<string, string> = {}) =>
  runFactory(['init', ...args], { cwd: dir, env });
const configFile = () => path.join(dir, 'factory.config.yaml');

describe('factory init with flags only (no terminal: stdin is not a TTY)', () => {
  it('writes a config that loads back, each provider in its shortest form, no secret written', async () => {
    const result = await init([
      ...LINEAR_SLACK_GITHUB,
      '--tenant',
      'acme',
      '--ready-label',
      'agent-ready',
      '--repository',
      './app',
      '--agent-command',
      'codex exec',
      '--route',
      'acme/app',
      '--agent',
      'codex',
      '--max-in-flight',
      '2',
    ]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const text = await readFile(configFile(), 'utf8');
    // Secrets are never written: the providers read their default variables (named in the header).
    expect(text).not.toMatch(/apiKey|botToken|token:|webhookSecret|signingSecret/);
    expect(text).toContain('intentProvider:\n  type: linear\n  requiredLabels:\n    - agent-ready\n');
    expect(text).toContain('outputTarget: github\n');
    expect(text).toContain(
      '# These providers read LINEAR_API_KEY, LINEAR_WEBHOOK_SECRET, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, GITHUB_TOKEN, GITHUB_WEBHOOK_SECRET when set.',
    );
    const config = await loadConfig(configFile(), SECRETS);
    const [tenant] = config.tenants;
    expect(tenant).toMatchObject({
      id: 'acme',
      intentProvider: { type: 'linear', transport: 'direct', requiredLabels: ['agent-ready'] },
      clarificationChannel: { type: 'slack', channel: 'C0123456789' },
      outputTarget: { type: 'github', transport: 'direct' },
      fleet: { type: 'local', command: 'codex exec', repository: path.join(dir, 'app') },
      scope: { labels: ['agent-ready'] },
      routes: [{ name: 'app', match: { labels: ['agent-ready'] }, repository: 'acme/app', agent: 'codex' }],
      limits: { maxInFlight: 2 },
    });
    expect(result.stdout).toContain(
      [
        'Wrote factory.config.yaml.',
        // What `factory start` would refuse is said at once; the file is written all the same.
        'Warning: agent command "codex" was not found on PATH; install codex so that it is on PATH, or change fleet.command in factory.config.yaml.',
        `Warning: repository ${path.join(dir, 'app')} does not exist; clone your repository to app, or change fleet.repository in factory.config.yaml.`,
        'PROVIDER  ROLE           STATUS        MISSING SCOPES  FIX',
        'linear    intake         ✗ needs-auth                  factory connect linear',
      ].join('\n'),
    );
    expect(result.stdout).toContain(
      [
        'Before `factory start` takes work:',
        '  intentProvider.webhookSecret: the secret Linear signs its webhooks with; set LINEAR_WEBHOOK_SECRET (or write webhookSecret: ${NAME})',
        '  clarificationChannel.signingSecret: the secret Slack signs its webhooks with; set SLACK_SIGNING_SECRET (or write signingSecret: ${NAME})',
        '  outputTarget.webhookSecret: the secret GitHub signs its webhooks with; set GITHUB_WEBHOOK_SECRET (or write webhookSecret: ${NAME})',
        '',
        'To connect:',
        '  factory connect linear',
        '  factory connect slack',
        '  factory connect github',
        '',
      ].join('\n'),
    );
  });

  it('writes the seed’s three lines from the three names alone: no fleet, no channel yet', async () => {
    const result = await init(['--yes', '--intent', 'linear', '--channel', 'slack', '--output', 'github']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const text = await readFile(configFile(), 'utf8');
    expect(text).toContain('intentProvider: linear\nclarificationChannel: slack\noutputTarget: github\n');
    expect(text).not.toContain('fleet');
    expect(result.stdout).toContain(
      '  fleet: where agents run; add fleet: { type: local, command: claude -p, repository: . }',
    );
    expect(result.stdout).toContain(
      '  clarificationChannel.channel: the Slack channel questions are asked in; add its id, e.g. clarificationChannel: { type: slack, channel: C0123456789 }',
    );
    const config = await loadConfig(configFile(), {});
    expect(config.tenants[0]).toMatchObject({
      intentProvider: { type: 'linear', transport: 'direct' },
      clarificationChannel: { type: 'slack', transport: 'direct' },
      outputTarget: { type: 'github', transport: 'direct' },
    });
    expect(config.tenants[0]?.fleet).toBeUndefined();
  });

  it('with Linear’s agent-session channel, writes the Linear intake in agent mode, so the config loads', async () => {
    const result = await init([
      '--yes',
      '--intent',
      'linear',
      '--channel',
      'linear-agent',
      '--output',
      'github',
    ]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const text = await readFile(configFile(), 'utf8');
    expect(text).toContain(
      'intentProvider:\n  type: linear\n  mode: agent\nclarificationChannel: linear-agent\n',
    );
    const config = await loadConfig(configFile(), {});
    expect(config.tenants[0]).toMatchObject({
      intentProvider: { type: 'linear', mode: 'agent' },
      clarificationChannel: { type: 'linear-agent' },
    });
  });

  it('checks every provider, and with the variables set asks for nothing more than connecting', async () => {
    const result = await init(LINEAR_SLACK_GITHUB, SECRETS);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'linear    intake         ✗ needs-auth                  factory connect linear',
    );
    expect(result.stdout).not.toContain('Before `factory start`');
    expect(result.stdout).toContain(
      ['To connect:', '  factory connect linear', '  factory connect slack', '  factory connect github'].join(
        '\n',
      ),
    );
  });

  it('writes Jira, comments and GitLab with the fields they need', async () => {
    const result = await init(
      [
        '--intent',
        'jira',
        '--jira-site',
        'https://acme.atlassian.net',
        '--jira-email',
        'bot@acme.com',
        '--channel',
        'comments',
        '--output',
        'gitlab',
        '--gitlab-url',
        'https://gitlab.acme.com',
        '--fleet',
        'local',
        '--config',
        'jira.yaml',
      ],
      {},
    );
    expect(result.code).toBe(0);
    const config = await loadConfig(path.join(dir, 'jira.yaml'), SECRETS);
    expect(config.tenants[0]).toMatchObject({
      intentProvider: { type: 'jira', siteUrl: 'https://acme.atlassian.net', email: 'bot@acme.com' },
      clarificationChannel: { type: 'comments' },
      outputTarget: { type: 'gitlab', baseUrl: 'https://gitlab.acme.com' },
    });
    expect(result.stdout).toContain(
      [
        'Before `factory start` takes work:',
        '  intentProvider.webhookSecret: the secret Jira signs its webhooks with; set JIRA_WEBHOOK_SECRET (or write webhookSecret: ${NAME})',
        '  outputTarget.webhookSecret: the secret GitLab signs its webhooks with; set GITLAB_WEBHOOK_SECRET (or write webhookSecret: ${NAME})',
      ].join('\n'),
    );
    // Both sign in with OAuth (Atlassian 3LO, GitLab with PKCE) unless JIRA_API_TOKEN and GITLAB_TOKEN are set.
    expect(result.stdout).toContain(
      [
        'To connect:',
        '  factory connect jira --config jira.yaml',
        '  factory connect gitlab --config jira.yaml',
      ].join('\n'),
    );
  });

  it('writes GitHub Issues as the intake with its repository and ready label', async () => {
    const result = await init([
      '--yes',
      '--intent',
      'github-issues',
      '--issues-repo',
      'acme/web',
      '--channel',
      'comments',
      '--output',
      'github',
      '--fleet',
      'local',
    ]);
    expect(result.code).toBe(0);
    const config = await loadConfig(configFile(), SECRETS);
    expect(config.tenants[0]?.intentProvider).toMatchObject({
      type: 'github-issues',
      repositories: [{ repository: 'acme/web' }],
      readyLabel: 'factory',
    });
    expect(result.stdout).toContain('  factory connect github-issues\n  factory connect github\n');
  });

  it('refuses to overwrite an existing config without --force, and overwrites with it', async () => {
    await writeFile(configFile(), 'tenant: mine\n');
    const refused = await init(LINEAR_SLACK_GITHUB);
    expect(refused.code).toBe(2);
    expectOneLineError(refused.stderr, 'factory.config.yaml already exists; pass --force to overwrite it');
    expect(await readFile(configFile(), 'utf8')).toBe('tenant: mine\n');

    const forced = await init([...LINEAR_SLACK_GITHUB, '--force']);
    expect(forced.code).toBe(0);
    expect(await readFile(configFile(), 'utf8')).toContain('intentProvider: linear');
  });
});

describe('factory init: wrong or missing flags are one line and write nothing', () => {
  it.concurrent.each([
    [[], 'missing --intent, --channel, --output (no terminal to ask on: give them as flags)'],
    [['--yes'], 'missing --intent, --channel, --output (--yes asks nothing: give them as flags)'],
    [
      ['--intent', 'jira', '--channel', 'comments', '--output', 'github', '--fleet', 'local'],
      'missing --jira-site',
    ],
    [
      ['--intent', 'github-issues', '--channel', 'comments', '--output', 'github', '--fleet', 'local'],
      'missing --issues-repo',
    ],
    [
      ['--intent', 'trello'],
      "argument 'trello' is invalid. Allowed choices are linear, jira, github-issues.",
    ],
    [
      ['--channel', 'email'],
      "argument 'email' is invalid. Allowed choices are slack, comments, linear-agent.",
    ],
    [['--output', 'bitbucket'], "argument 'bitbucket' is invalid. Allowed choices are github, gitlab."],
    [['--fleet', 'k8s'], "argument 'k8s' is invalid. Allowed choices are local."],
    [['--slack-channel', 'general'], 'expected a Slack channel id such as C0123456789'],
    [['--jira-site', 'acme.atlassian.net'], 'expected a URL such as https://acme.atlassian.net'],
    [['--jira-email', 'bot'], 'expected an email address'],
    [['--issues-repo', 'web'], 'expected owner/repo'],
    [['--gitlab-url', 'gitlab'], 'expected a URL such as https://gitlab.com'],
    [['--route', 'app'], 'expected owner/repo'],
    [['--agent', 'my agent'], 'expected an agent name such as claude'],
    [['--tenant', 'a b'], 'expected letters, digits, "-" and "_"'],
    [['--ready-label', ' '], 'expected a label name'],
    [['--agent-command', ''], 'expected a command'],
    [['--max-in-flight', '0'], 'expected at least 1'],
    [['--max-in-flight', 'three'], "argument 'three' is invalid"],
    [['--frobnicate'], "unknown option '--frobnicate'"],
  ] as const)('factory init %j', async (args, message) => {
    // Each in its own folder, so the table runs concurrently.
    const own = await tempDir('factory-init-bad-');
    try {
      const result = await runFactory(['init', ...args], { cwd: own, env: {} });
      expect(result.code).toBe(2);
      expectOneLineError(result.stderr, message);
      expect(existsSync(path.join(own, 'factory.config.yaml'))).toBe(false);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('says so when the file cannot be written', async () => {
    const result = await init([...LINEAR_SLACK_GITHUB, '--config', 'missing-folder/factory.config.yaml']);
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr, 'cannot write missing-folder/factory.config.yaml (ENOENT)');
  });
});

describe('factory init in a terminal (@clack/prompts under a pseudo-terminal)', () => {
  it('asks for every choice, validates what is typed, writes a config that loads, then offers to connect each provider', async () => {
    const terminal = new PseudoTerminal(['init'], { cwd: dir, env: SECRETS });
    try {
      await terminal.answer('Where do work items come from?', KEY.down, KEY.down, KEY.enter); // github-issues
      await terminal.answer('Where should unclear items be asked about?', KEY.enter); // slack
      await terminal.answer('Where do agents deliver their work?', KEY.enter); // github
      await terminal.answer('Where do agents run?', KEY.enter); // local
      await terminal.answer('Tenant id', KEY.backspace.repeat('default'.length), 'acme', KEY.enter);
      await terminal.answer('The label that makes an item ready', KEY.enter);
      // Each chosen provider's own questions, as its registry entry asks them, in role order.
      await terminal.answer('Repository whose issues are work items', 'acme/web', KEY.enter);
      await terminal.answer('Slack channel id', 'general', KEY.enter);
      await terminal.answer(
        'expected a Slack channel id such as C0123456789',
        KEY.backspace.repeat(7),
        'C0123456789',
        KEY.enter,
      );
      await terminal.answer('The agent command', KEY.enter);
      await terminal.answer('The git repository agents work in', KEY.enter);
      await terminal.answer('Add a route', 'y');
      await terminal.answer('Route repository', 'acme/web', KEY.enter);
      await terminal.answer('Agent name for that route', KEY.enter);
      await terminal.answer('Most agents at once', KEY.backspace, '2', KEY.enter);
      await terminal.waitFor('Wrote factory.config.yaml.');
      await terminal.waitFor('factory connect github-issues');
      // Accepting runs the connect flow right here; without a credentials key it says what to set and goes on.
      await terminal.answer('Connect github-issues now?', 'y');
      await terminal.waitFor('github-issues: set FACTORY_CREDENTIALS_KEY');
      await terminal.answer('Connect slack now?', 'n');
      await terminal.answer('Connect github now?', 'n');
      await terminal.waitFor('Run `factory check` to see every connection.');
      expect(await terminal.exited).toBe(0);
    } finally {
      terminal.kill();
    }

    const config = await loadConfig(configFile(), SECRETS);
    expect(config.tenants[0]).toMatchObject({
      id: 'acme',
      intentProvider: {
        type: 'github-issues',
        repositories: [{ repository: 'acme/web' }],
        readyLabel: 'factory',
      },
      clarificationChannel: { type: 'slack', channel: 'C0123456789' },
      outputTarget: { type: 'github' },
      fleet: { type: 'local', command: 'claude -p' },
      routes: [{ name: 'web', repository: 'acme/web', agent: 'claude' }],
      limits: { maxInFlight: 2 },
    });
  });

  it('writes nothing when the person cancels', async () => {
    const terminal = new PseudoTerminal(['init'], { cwd: dir, env: {} });
    try {
      await terminal.answer('Where do work items come from?', KEY.ctrlC);
      await terminal.waitFor('Cancelled; nothing was written.');
      expect(await terminal.exited).toBe(1);
    } finally {
      terminal.kill();
    }
    expect(existsSync(configFile())).toBe(false);
  });
});
