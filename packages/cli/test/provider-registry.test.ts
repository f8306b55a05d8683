// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs and messages hold ${ENV_VAR} references literally.
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { providerRegistry } from '@software-factory/providers/registry';
import { silentLogger } from '@software-factory/sdk';
import { TestWebhookSource } from '@software-factory/sdk/testing/fakes';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configJsonSchema } from '../src/config/config-schema.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { NodeRuntime } from '../src/node-runtime.ts';
import { runFactory } from './support/factory-process.ts';
import { ACME_TYPE, acmeTrackerProvider } from './support/fake-vendor.ts';
import { tempDir } from './support/onboarding-vendors.ts';

/**
 * A vendor added through the registry's public API, and nothing else: `test/support/fake-vendor.ts`
 * defines "acme-tracker" and `providerRegistry.register` adds it (in this process, or in a spawned
 * `factory` through `node --import test/support/register-fake-vendor.ts`). No file of the factory names
 * it, so each place it shows up reads the registry.
 */
const REGISTER = fileURLToPath(new URL('./support/register-fake-vendor.ts', import.meta.url));
const WITH_ACME = ['--conditions=@software-factory/source', '--import', REGISTER];

const CONFIG = `tenant: acme
stateStore: { type: memory }
intentProvider: acme-tracker
clarificationChannel: { type: slack, channel: C0123456789 }
outputTarget: github
`;

describe('a provider registered through the registry appears in the config schema', () => {
  beforeAll(() => {
    providerRegistry.register(acmeTrackerProvider);
  });
  afterAll(() => {
    providerRegistry.unregister(ACME_TYPE);
  });

  it('as a bare name and as a mapping of the intake, with its own fields', () => {
    const schema = JSON.stringify(configJsonSchema());
    expect(schema).toContain('"enum":["linear","jira","github-issues","acme-tracker"]');
    expect(schema).toContain('"const":"acme-tracker"');
    expect(schema).toContain('The Acme project whose tasks are work items.');
  });

  it('loads by its bare name, its secrets from its default variables', async () => {
    const config = await parseConfig(CONFIG, {
      fileName: 'factory.config.yaml',
      baseDir: tmpdir(),
      env: { ACME_TRACKER_TOKEN: 'acme-token', ACME_TRACKER_WEBHOOK_SECRET: 'acme-hook' },
    });
    expect(config.tenants[0]?.intentProvider).toEqual({
      type: ACME_TYPE,
      transport: 'direct',
      provider: ACME_TYPE,
      project: 'ACME',
      token: 'acme-token',
      webhookSecret: 'acme-hook',
    });
    expect(config.secrets).toEqual(new Set(['acme-token', 'acme-hook']));
  });

  it('and in the Node runtime: its webhook source is mounted and its connection is asked', async () => {
    const secret = 'acme-hook-0123456789';
    // The other roles read a local folder, so no request leaves this machine.
    const folder = await tempDir('factory-registry-mount-');
    const config = await parseConfig(
      `tenant: acme
stateStore: { type: memory }
intentProvider: acme-tracker
clarificationChannel: { type: slack, transport: relayfile, channel: C0FACTORY__factory }
outputTarget: { type: github, transport: relayfile }
mount: { type: directory, path: ${JSON.stringify(folder)} }
fleet: { type: http, url: "https://agents.example.com", secret: "\${FLEET_SECRET}" }
`,
      {
        fileName: 'factory.config.yaml',
        baseDir: tmpdir(),
        env: {
          ACME_TRACKER_TOKEN: 'acme-token',
          ACME_TRACKER_WEBHOOK_SECRET: secret,
          FLEET_SECRET: 'fleet-secret',
        },
      },
    );
    const runtime = new NodeRuntime(config, { logger: silentLogger, env: {} });
    try {
      const [tenant] = runtime.tenants;
      expect([...(tenant?.runtime.sources.keys() ?? [])].sort()).toEqual([ACME_TYPE, 'fleet']);
      const reports = await tenant?.runtime.connections();
      expect(reports?.find((report) => report.provider === ACME_TYPE)).toEqual({
        provider: ACME_TYPE,
        role: 'intake',
        status: { state: 'connected', identity: 'acme-bot' },
      });

      const body = JSON.stringify({ id: 'delivery-1', ignored: 'a task the factory does not follow' });
      const signed = await TestWebhookSource.sign(secret, body, Date.now());
      const answer = await runtime.app.request(`/t/acme/webhooks/${ACME_TYPE}`, {
        method: 'POST',
        body,
        headers: signed,
      });
      expect(answer.status).toBe(202);
      const forged = await runtime.app.request(`/t/acme/webhooks/${ACME_TYPE}`, {
        method: 'POST',
        body,
        headers: await TestWebhookSource.sign('not-the-secret', body, Date.now()),
      });
      expect(forged.status).toBe(401);
    } finally {
      await runtime.stop();
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('a provider registered through the registry, in a spawned factory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('factory-registry-');
    execFileSync('git', ['init', '--quiet', dir]);
    await writeFile(path.join(dir, 'factory.config.yaml'), CONFIG);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const factory = (args: string[], env: Record<string, string> = {}, nodeArgs = WITH_ACME) =>
    runFactory(args, { cwd: dir, env, nodeArgs });

  it('is unknown to a factory that did not register it', async () => {
    const result = await factory(['check'], {}, ['--conditions=@software-factory/source']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'factory.config.yaml:3:17 intentProvider: expected one of: linear, jira, github-issues (a name, or a mapping with `type:` and its settings), got "acme-tracker"',
    );
  });

  it('factory check: its row, its state and the command that connects it', async () => {
    const result = await factory(['check']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      [
        'PROVIDER      ROLE           STATUS        MISSING SCOPES  FIX',
        'acme-tracker  intake         ✗ needs-auth                  factory connect acme-tracker',
      ].join('\n'),
    );
    expect(result.stdout).toContain(
      '  intentProvider.webhookSecret: the secret Acme signs its webhooks with; set ACME_TRACKER_WEBHOOK_SECRET (or write webhookSecret: ${NAME})',
    );

    const connected = await factory(['check'], { ACME_TRACKER_TOKEN: 'acme-token' });
    expect(connected.stdout).toContain('acme-tracker  intake         ✓ connected');
    expect(connected.stdout).toContain('acme-tracker: acme-bot');
  });

  it('factory connect: named in --help, and signed in to with its own OAuth app', async () => {
    const help = (await factory(['connect', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('GitHub and Acme with a device code');
    expect(help).toContain('names it: linear, github-issues, slack, github, acme-tracker');

    const result = await factory(['connect', ACME_TYPE], {
      FACTORY_CREDENTIALS_KEY: 'correct horse battery staple',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "factory: connecting acme-tracker needs an OAuth app: set ACME_CLIENT_ID (or the provider's oauth: block in the config)\n",
    );
  });

  it('factory init: offered as an intake, written by its bare name', async () => {
    await rm(path.join(dir, 'factory.config.yaml'));
    const result = await factory([
      'init',
      '--yes',
      '--intent',
      ACME_TYPE,
      '--channel',
      'slack',
      '--output',
      'github',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await readFile(path.join(dir, 'factory.config.yaml'), 'utf8')).toContain(
      'intentProvider: acme-tracker\nclarificationChannel: slack\noutputTarget: github\n',
    );
    expect(result.stdout).toContain('  factory connect acme-tracker');
  });
});
