// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs hold ${ENV_VAR} references literally.
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runFactory } from './support/factory-process.ts';
import {
  expectNoSecrets,
  expectOneLineError,
  startVendors,
  tempDir,
  type Vendors,
  vendorConfig,
} from './support/onboarding-vendors.ts';

const LINEAR_TOKEN = 'lin_oauth_test_token';
const SLACK_TOKEN = 'xoxb-test-token';
const GITHUB_TOKEN = 'ghp_classic_test_token';

let vendors: Vendors;
let dir: string;

beforeAll(async () => {
  vendors = await startVendors();
});
afterAll(async () => {
  await vendors.close();
});
beforeEach(async () => {
  dir = await tempDir('factory-check-');
  // The config's local fleet works in `.` (its default repository), which must be a git repository.
  execFileSync('git', ['init', '--quiet', dir]);
  vendors.slack.scopes = ['chat:write', 'channels:history', 'channels:read'];
  vendors.github.scopes = ['repo', 'read:org'];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ENV = {
  LINEAR_WEBHOOK_SECRET: 'lin_wh_secret_0123456789',
  SLACK_SIGNING_SECRET: 'slack_signing_secret_0123456789',
  GITHUB_WEBHOOK_SECRET: 'gh_wh_secret_0123456789',
};
const TOKENS = { LINEAR_API_KEY: LINEAR_TOKEN, SLACK_BOT_TOKEN: SLACK_TOKEN, GITHUB_TOKEN };

/** The token variables set for the next `check` (a token left out of the config defaults to them). */
let tokenEnv: Record<string, string> = {};

/**
 * The loopback config with the token fields given as references; a provider without one reads the
 * credentials store, its default variable being unset.
 */
async function writeConfig(
  tokens: { linear?: boolean; slack?: boolean; github?: boolean },
  file = 'factory.config.yaml',
) {
  let text = vendorConfig(vendors);
  tokenEnv = {};
  if (tokens.linear) {
    text = text.replace('  webhookSecret: ${LINEAR_WEBHOOK_SECRET}', '$&\n  apiKey: ${LINEAR_API_KEY}');
    tokenEnv.LINEAR_API_KEY = TOKENS.LINEAR_API_KEY;
  }
  if (tokens.slack) {
    text = text.replace('  signingSecret: ${SLACK_SIGNING_SECRET}', '$&\n  botToken: ${SLACK_BOT_TOKEN}');
    tokenEnv.SLACK_BOT_TOKEN = TOKENS.SLACK_BOT_TOKEN;
  }
  if (tokens.github) {
    text = text.replace('  webhookSecret: ${GITHUB_WEBHOOK_SECRET}', '$&\n  token: ${GITHUB_TOKEN}');
    tokenEnv.GITHUB_TOKEN = TOKENS.GITHUB_TOKEN;
  }
  await writeFile(path.join(dir, file), text);
}

const check = (args: string[] = []) =>
  runFactory(['check', ...args], { cwd: dir, env: { ...ENV, ...tokenEnv } });

describe('factory check', () => {
  it('exits 0 and shows every provider ✓ when all are connected', async () => {
    await writeConfig({ linear: true, slack: true, github: true });

    const result = await check();

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'PROVIDER     ROLE           STATUS       MISSING SCOPES  FIX',
        'linear       intake         ✓ connected',
        'slack        clarification  ✓ connected',
        'github       output         ✓ connected',
        'local fleet  agent command  ✓ ok',
        'local fleet  repository     ✓ ok',
        '',
        'linear: factory@example.com @ acme',
        'slack: factory @ Acme',
        'github: factory-bot',
        '',
      ].join('\n'),
    );
  });

  it('names what is missing and the command that fixes it; exits 1 while anything is not connected', async () => {
    vendors.slack.scopes = ['chat:write', 'channels:read'];
    await writeConfig({ linear: true, slack: true });

    const result = await check();

    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [
        'PROVIDER     ROLE           STATUS            MISSING SCOPES    FIX',
        'linear       intake         ✓ connected',
        'slack        clarification  ✗ missing-scopes  channels:history  factory connect slack',
        'github       output         ✗ needs-auth                        factory connect github',
        'local fleet  agent command  ✓ ok',
        'local fleet  repository     ✓ ok',
        '',
        'linear: factory@example.com @ acme',
        'slack: factory @ Acme',
        'github: github is not authorised: no GitHub token is configured; run `factory connect github`',
        '',
        `Stored tokens: no credentials stored yet (${path.join(dir, '.factory', 'credentials.enc')}).`,
        '',
      ].join('\n'),
    );
    expectNoSecrets([result.stdout, result.stderr], [LINEAR_TOKEN, SLACK_TOKEN]);
  });

  it('reports a provider that answers with an error, without repeating a token it echoes', async () => {
    vendors.github.failNext('/user', {
      status: 422,
      body: { message: `token ${GITHUB_TOKEN} is suspended`, status: '422' },
    });
    await writeConfig({ linear: true, slack: true, github: true });

    const result = await check();

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('github       output         ✗ error                      see below');
    expect(result.stdout).toMatch(/github: .*\[redacted\] is suspended/);
    expectNoSecrets([result.stdout, result.stderr], [GITHUB_TOKEN, LINEAR_TOKEN, SLACK_TOKEN]);
  });

  it('--json gives every provider with its state, missing scopes, reason and fix', async () => {
    vendors.slack.scopes = ['chat:write', 'channels:read'];
    await writeConfig({ linear: true, slack: true });

    const result = await check(['--json']);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      providers: [
        {
          tenant: 'acme',
          provider: 'linear',
          role: 'intake',
          state: 'connected',
          identity: 'factory@example.com @ acme',
        },
        {
          tenant: 'acme',
          provider: 'slack',
          role: 'clarification',
          state: 'missing-scopes',
          identity: 'factory @ Acme',
          missingScopes: ['channels:history'],
          fix: 'factory connect slack',
        },
        {
          tenant: 'acme',
          provider: 'github',
          role: 'output',
          state: 'needs-auth',
          reason: 'github is not authorised: no GitHub token is configured; run `factory connect github`',
          fix: 'factory connect github',
        },
      ],
      fleet: [
        { tenant: 'acme', fleet: 'local', check: 'agent command', ok: true },
        { tenant: 'acme', fleet: 'local', check: 'repository', ok: true },
      ],
      missing: [],
    });
  });

  it('--json exits 0 with ok: true when everything is connected', async () => {
    await writeConfig({ linear: true, slack: true, github: true });
    const result = await check(['--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true });
  });

  it('points the fix at the same config file when --config names another one', async () => {
    await writeConfig({ linear: true, slack: true }, 'team.yaml');
    const result = await check(['--config', 'team.yaml']);
    expect(result.stdout).toContain('factory connect github --config team.yaml');
  });
});

describe('factory check: input it cannot use', () => {
  it('exits 2 with file:line:column for a bad config', async () => {
    await writeFile(
      path.join(dir, 'factory.config.yaml'),
      `${vendorConfig(vendors)}limits: { maxInFlight: three }\n`,
    );
    const result = await check();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^factory: factory\.config\.yaml:\d+:\d+ limits\.maxInFlight: /);
  });

  it.each([
    [[], 'no factory.config.yaml here; run `factory init`, or pass --config <file>'],
    [['--config', 'nope.yaml'], 'nope.yaml: no such config file'],
    [['--jsn'], "unknown option '--jsn'"],
    [['extra'], 'too many arguments'],
  ])('factory check %j is one line, exit 2', async (args, message) => {
    const result = await check(args);
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr, message);
  });
});
