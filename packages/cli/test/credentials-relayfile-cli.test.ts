// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CLOUD_TOKEN,
  type LoopbackRelayfileCloud,
  startLoopbackRelayfileCloud,
} from '../../auth/test/support/loopback-relayfile-cloud.ts';
import { runFactory } from './support/factory-process.ts';
import {
  expectNoSecrets,
  expectOneLineError,
  personAsBrowser,
  tempDir,
} from './support/onboarding-vendors.ts';
import { CHANNEL, type RelayfileServer, STATE_IDS, startRelayfile } from './support/relayfile-config.ts';

const WEBHOOK_SECRET = 'relayfile-webhook-secret-never-printed';

// relayfile's cloud (connect sessions) and relayfile itself (the mount `factory check` reads), both on loopback.
let cloud: LoopbackRelayfileCloud;
let relayfile: RelayfileServer;
let dir: string;
let env: Record<string, string>;
let opened: string;

beforeAll(async () => {
  cloud = await startLoopbackRelayfileCloud();
  relayfile = await startRelayfile({ workspaceId: 'ws_acme' });
});
afterAll(async () => {
  await cloud.close();
  await relayfile.stop();
});

/** A tenant whose providers all read through relayfile, its connections held by relayfile's cloud. */
function configText(credentials: string[]): string {
  return [
    'tenant: acme',
    'stateStore: { type: memory }',
    'credentials:',
    ...credentials.map((line) => `  ${line}`),
    `intentProvider: { type: linear, transport: relayfile, stateIds: { dispatched: ${STATE_IDS.dispatched}, done: ${STATE_IDS.done} } }`,
    `clarificationChannel: { type: slack, transport: relayfile, channel: ${CHANNEL} }`,
    'outputTarget: { type: github, transport: relayfile }',
    `mount: { type: relayfile, workspace: ws_acme, baseUrl: "${relayfile.url}", token: "\${RELAYFILE_TOKEN}", webhookSecret: "\${RELAYFILE_WEBHOOK_SECRET}" }`,
    'fleet: { type: local, command: "true" }',
    '',
  ].join('\n');
}

const RELAYFILE_CREDENTIALS = () => [
  'type: relayfile',
  `cloudApiUrl: ${cloud.cloudApiUrl}`,
  'accessToken: ${RELAYFILE_ACCESS_TOKEN}',
];

beforeEach(async () => {
  dir = await tempDir('factory-credentials-relayfile-');
  // `factory check` also checks the local fleet, whose repository (`.` by default) must be a git repository.
  execFileSync('git', ['init', '--quiet', dir]);
  const browser = await personAsBrowser(dir);
  opened = browser.log;
  env = {
    BROWSER: browser.command,
    RELAYFILE_ACCESS_TOKEN: CLOUD_TOKEN,
    RELAYFILE_TOKEN: relayfile.token,
    RELAYFILE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  };
  await writeFile(path.join(dir, 'factory.config.yaml'), configText(RELAYFILE_CREDENTIALS()));
  cloud.pollsBeforeReady = 1;
  cloud.requests.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const factory = (args: string[]) => runFactory(args, { cwd: dir, env });
const secrets = () => [CLOUD_TOKEN, ...cloud.workspaceTokens(), relayfile.token, WEBHOOK_SECRET];
const statusPolls = () =>
  cloud.requests.filter((request) => request.method === 'GET' && request.path.includes('/status?')).length;

describe('factory connect with `credentials: { type: relayfile }`', () => {
  it("runs relayfile's connect session: prints the link, polls until relayfile reports ready; then check says connected", async () => {
    const connect = await factory(['connect', 'linear']);

    expect(connect.stderr).toBe('');
    expect(connect.code).toBe(0);
    const [link] = (await readFile(opened, 'utf8')).trim().split('\n');
    expect(link).toMatch(new RegExp(`^${cloud.cloudApiUrl}/connect/`));
    expect(connect.stdout).toContain(`To connect linear through relayfile, open:\n  ${link}\n`);
    expect(connect.stdout).toContain('linear connected through relayfile.\n');
    expect(connect.stdout).toContain('relayfile holds the linear connection of tenant acme.\n');
    expect(connect.stdout.trimEnd().split('\n').at(-1)).toBe('linear: ✓ connected');
    // Joined the workspace of the tenant's relayfile mount, with the access token from the environment.
    expect(cloud.requests[0]).toMatchObject({
      method: 'POST',
      path: '/cloud/api/v1/workspaces/ws_acme/join',
      authorization: `Bearer ${CLOUD_TOKEN}`,
    });
    // One answer "not yet" while relayfile syncs, at least, before the one that says ready.
    expect(statusPolls()).toBeGreaterThanOrEqual(3);
    expect(cloud.connections()).toEqual([
      expect.objectContaining({ provider: 'linear', workspaceId: 'ws_acme', authorised: true }),
    ]);

    const check = await factory(['check', '--json']);

    // A relayfile-transport provider is checked through the mount it reads (relayfile on loopback).
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const { ok, providers } = JSON.parse(check.stdout) as {
      ok: boolean;
      providers: { provider: string; state: string }[];
    };
    expect(ok).toBe(true);
    expect(providers.find((row) => row.provider === 'linear')).toMatchObject({
      tenant: 'acme',
      role: 'intake',
      state: 'connected',
    });
    expectNoSecrets([connect.stdout, connect.stderr, check.stdout, check.stderr], secrets());
  });

  it('names the `integrations` field when Slack has no relayfile integration configured', async () => {
    const result = await factory(['connect', 'slack']);

    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, 'no relayfile integration is configured for provider "slack"');
    expect(result.stderr).toContain('add it to `integrations`');
    expect(cloud.requests.filter((request) => request.path.endsWith('/connect-session'))).toEqual([]);
  });

  it('connects Slack through the relayfile integration the config names', async () => {
    await writeFile(
      path.join(dir, 'factory.config.yaml'),
      configText([...RELAYFILE_CREDENTIALS(), 'integrations: { slack: slack-sage }']),
    );
    cloud.pollsBeforeReady = 0;

    const result = await factory(['connect', 'slack']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const session = cloud.requests.find((request) => request.path.endsWith('/connect-session'));
    expect(session?.body).toMatchObject({ allowedIntegrations: ['slack-sage'] });
    expect(result.stdout).toContain('slack connected through relayfile.\n');
    expectNoSecrets([result.stdout, result.stderr], secrets());
  });

  it('refuses a literal access token with its line and column, without repeating it', async () => {
    await writeFile(
      path.join(dir, 'factory.config.yaml'),
      configText(['type: relayfile', `cloudApiUrl: ${cloud.cloudApiUrl}`, `accessToken: ${CLOUD_TOKEN}`]),
    );

    const result = await factory(['connect', 'linear']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('factory.config.yaml:6:16 credentials.accessToken: is a secret');
    expectNoSecrets([result.stdout, result.stderr], [CLOUD_TOKEN]);
    expect(cloud.requests).toEqual([]);
  });

  it('says relayfile refused the access token, without printing the token', async () => {
    env.RELAYFILE_ACCESS_TOKEN = 'rfc_cloud_revoked_0000000000000000';

    const result = await factory(['connect', 'linear']);

    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, 'relayfile join of workspace ws_acme failed (HTTP 401)');
    expectNoSecrets([result.stdout, result.stderr], [env.RELAYFILE_ACCESS_TOKEN, ...secrets()]);
    expect(await readFile(opened, 'utf8').catch(() => '')).toBe('');
  });
});
