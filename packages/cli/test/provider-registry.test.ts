// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs and messages hold ${ENV_VAR} references literally.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { providerRegistry } from '@software-factory/providers/registry';
import { silentLogger } from '@software-factory/sdk';
import { TestWebhookSource } from '@software-factory/sdk/testing/fakes';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REGISTER_SOURCES_URL, wranglerSourceArgs } from '../../../scripts/workspace-sources.ts';
import { parseCloudFormation } from '../../aws/test/support/cloudformation-yaml.ts';
import { asHttpApiEvent } from '../../aws/test/support/lambda-events.ts';
import { configJsonSchema } from '../src/config/config-schema.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { NodeRuntime } from '../src/node-runtime.ts';
import { makeProject, ROOT, removeProject } from './support/deploy-scenario.ts';
import { runFactory } from './support/factory-process.ts';
import { ACME_TYPE, acmeTrackerProvider } from './support/fake-vendor.ts';
import { tempDir } from './support/onboarding-vendors.ts';

/**
 * A vendor added through the registry's public API, and nothing else: `test/support/fake-vendor.ts`
 * defines "acme-tracker", and a config adds it with `providers:` (a module exporting `providers`,
 * `test/support/acme-providers.ts`), or a program with `providerRegistry.register` (in this process, or
 * in a spawned `factory` through `node --import test/support/register-fake-vendor.ts`). No file of the
 * factory names it, so each place it shows up reads the registry, the deployed bundles included.
 */
const REGISTER = fileURLToPath(new URL('./support/register-fake-vendor.ts', import.meta.url));
const SOURCE = [`--import=${REGISTER_SOURCES_URL}`];
const WITH_ACME = [...SOURCE, '--import', REGISTER];
const ACME_MODULE = fileURLToPath(new URL('./support/acme-providers.ts', import.meta.url));

/** A provider module in a user's project, as its config names it: here it re-exports the test vendor's. */
async function writeVendorModule(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'vendor'), { recursive: true });
  await writeFile(
    path.join(dir, 'vendor', 'acme.mjs'),
    `export { providers } from ${JSON.stringify(path.relative(path.join(dir, 'vendor'), ACME_MODULE))};\n`,
  );
}
const PROVIDERS_LINE = 'providers: [./vendor/acme.mjs]\n';

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
    const runtime = await NodeRuntime.open(config, { logger: silentLogger, env: {} });
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
    await writeVendorModule(dir);
    await writeFile(path.join(dir, 'factory.config.yaml'), PROVIDERS_LINE + CONFIG);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const factory = (args: string[], env: Record<string, string> = {}, nodeArgs = SOURCE) =>
    runFactory(args, { cwd: dir, env, nodeArgs });

  it('is unknown to a factory whose config does not name its module', async () => {
    await writeFile(path.join(dir, 'factory.config.yaml'), CONFIG);
    const result = await factory(['check']);
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

  it('factory connect: named in --help (by --import), and signed in to with its own OAuth app', async () => {
    // --help reads no config, so it names the vendors of the program only (registered by --import).
    const help = (await factory(['connect', '--help'], {}, WITH_ACME)).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('GitHub and Acme with a device code');
    expect(help).toContain('names it: linear, jira, github-issues, slack, github, gitlab, acme-tracker');

    const result = await factory(['connect', ACME_TYPE], {
      FACTORY_CREDENTIALS_KEY: 'correct horse battery staple',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "factory: connecting acme-tracker needs an OAuth app: set ACME_CLIENT_ID (or the provider's oauth: block in the config)\n",
    );
  });

  it('a config without `providers:` reads a vendor a program registered (node --import)', async () => {
    await writeFile(path.join(dir, 'factory.config.yaml'), CONFIG);
    const result = await factory(['check'], { ACME_TRACKER_TOKEN: 'acme-token' }, WITH_ACME);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('acme-tracker  intake         ✓ connected');
  });

  it('factory init (no config to read yet, so registered by --import): offered as an intake, written by its bare name', async () => {
    await rm(path.join(dir, 'factory.config.yaml'));
    const result = await factory(
      ['init', '--yes', '--intent', ACME_TYPE, '--channel', 'slack', '--output', 'github'],
      {},
      WITH_ACME,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await readFile(path.join(dir, 'factory.config.yaml'), 'utf8')).toContain(
      'intentProvider: acme-tracker\nclarificationChannel: slack\noutputTarget: github\n',
    );
    expect(result.stdout).toContain('  factory connect acme-tracker');
  });
});

/** What a deployment takes: the vendor by its bare name, and a remote fleet (a deployment has no local one). */
const DEPLOY_CONFIG = `providers: [./vendor/acme.mjs]
tenant: acme
intentProvider: acme-tracker
clarificationChannel: { type: slack, channel: C0123456789 }
outputTarget: github
fleet: { type: http, url: "https://agents.example.com", secret: "\${FLEET_SECRET}" }
`;
/** Every secret the deployment references, by its variable: the vendor's are its entry's defaults. */
const DEPLOY_SECRETS = {
  ACME_TRACKER_TOKEN: 'acme-token',
  ACME_TRACKER_WEBHOOK_SECRET: 'acme-hook-0123456789',
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  SLACK_SIGNING_SECRET: 'slack-signing-secret',
  GITHUB_TOKEN: 'ghp_test_token',
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret',
  FLEET_SECRET: 'fleet-secret',
};

interface Template {
  Parameters: Record<string, { Type: string; NoEcho?: boolean; Description?: string }>;
  Resources: Record<string, { Properties?: { Environment?: { Variables: Record<string, unknown> } } }>;
  Outputs: Record<string, { Value: unknown; Description?: string }>;
}

/**
 * `factory deploy aws|cloudflare --out` with the vendor added by the config's `providers:`: the template's
 * parameters and outputs, wrangler.jsonc's secrets and the printed commands and URLs come from the
 * registry's entry (its secrets, the webhook source its `build` returns), with no file naming it; and the
 * generated entries import the module's `providers` and register them, so the bundles carry its code.
 */
describe('a provider registered through the registry, in both deploy targets', () => {
  let project: string;
  let aws: { stdout: string; dir: string; template: Template };
  let cloudflare: { stdout: string; dir: string };
  beforeAll(async () => {
    project = makeProject({ prefix: 'factory-registry-deploy-' });
    await writeVendorModule(project);
    await writeFile(path.join(project, 'factory.config.yaml'), DEPLOY_CONFIG);
    const deploy = async (target: 'aws' | 'cloudflare') => {
      const result = await runFactory(['deploy', target, '--out', target], {
        cwd: project,
        nodeArgs: SOURCE,
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return { stdout: result.stdout, dir: path.join(project, target) };
    };
    const built = await deploy('aws');
    aws = {
      ...built,
      template: parseCloudFormation(readFileSync(path.join(built.dir, 'template.yaml'), 'utf8')) as Template,
    };
    cloudflare = await deploy('cloudflare');
  }, 120_000);
  afterAll(() => removeProject(project));

  it('factory deploy aws: its secrets are NoEcho parameters of both functions, its webhook an output', () => {
    for (const [parameter, variable, field] of [
      ['AcmeTrackerToken', 'ACME_TRACKER_TOKEN', 'intentProvider.token'],
      ['AcmeTrackerWebhookSecret', 'ACME_TRACKER_WEBHOOK_SECRET', 'intentProvider.webhookSecret'],
    ] as const) {
      expect(aws.template.Parameters[parameter]).toMatchObject({ Type: 'String', NoEcho: true });
      expect(aws.template.Parameters[parameter]?.Description).toContain(field);
      for (const fn of ['HttpFunction', 'TickFunction'])
        expect(aws.template.Resources[fn]?.Properties?.Environment?.Variables[variable]).toEqual({
          Ref: parameter,
        });
      expect(aws.stdout).toContain(`  \${${variable}}  ${field}\n`);
      expect(aws.stdout).toContain(`${parameter}="$${variable}"`);
    }
    expect(aws.template.Outputs.WebhookAcmeAcmeTracker).toEqual({
      Description: 'Register at acme-tracker for tenant acme',
      Value: {
        'Fn::Sub':
          'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/t/acme/webhooks/acme-tracker',
      },
    });
    expect(aws.stdout).toContain(
      [
        'Register these webhook URLs at each vendor:',
        '  tenant acme:',
        '    acme-tracker  <WebhookBaseUrl>/t/acme/webhooks/acme-tracker',
      ].join('\n'),
    );
    const deployment = JSON.parse(readFileSync(path.join(aws.dir, 'factory.deployment.json'), 'utf8'));
    expect(deployment.tenants[0].intentProvider).toEqual({
      type: ACME_TYPE,
      transport: 'direct',
      provider: ACME_TYPE,
      project: 'ACME',
      token: '${ACME_TRACKER_TOKEN}',
      webhookSecret: '${ACME_TRACKER_WEBHOOK_SECRET}',
    });
  });

  it('factory deploy cloudflare: its secrets are required Worker secrets, its webhook a printed URL', () => {
    const wrangler = JSON.parse(
      readFileSync(path.join(cloudflare.dir, 'wrangler.jsonc'), 'utf8').replace(/^\/\/.*$/gm, ''),
    ) as { secrets: { required: string[] } };
    expect(wrangler.secrets.required.sort()).toEqual(Object.keys(DEPLOY_SECRETS).sort());
    for (const variable of ['ACME_TRACKER_TOKEN', 'ACME_TRACKER_WEBHOOK_SECRET'])
      expect(cloudflare.stdout).toContain(
        `  npx wrangler secret put ${variable} --config cloudflare/wrangler.jsonc\n`,
      );
    expect(cloudflare.stdout).toContain(
      '    acme-tracker  https://<worker>.<subdomain>.workers.dev/t/acme/webhooks/acme-tracker\n',
    );
  });

  it("the entries carry the module's providers: the Lambda answers at the vendor's webhook", async () => {
    // What each entry imports: our packages, the vendor's module (relative to the output folder), the config.
    const imports = (file: string) =>
      [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'|from "([^"]+)"/g)].map(
        (match) => match[1] ?? match[2],
      );
    expect(imports(path.join(aws.dir, 'entry.mjs'))).toEqual([
      '@software-factory/aws',
      '@software-factory/cli/deployment',
      '@software-factory/providers/registry',
      '../vendor/acme.mjs',
      './factory.deployment.json',
    ]);
    // The module's entries are the deployment's providers, with the built-in ones its tenant uses.
    expect(readFileSync(path.join(aws.dir, 'entry.mjs'), 'utf8')).toContain(
      'const providers = new ProviderRegistry([slackProvider, githubProvider, ...providers0]);',
    );
    expect(imports(path.join(cloudflare.dir, 'worker.mjs'))).toEqual([
      '@software-factory/cloudflare',
      '@software-factory/cli/deployment',
      '@software-factory/providers/registry',
      '../vendor/acme.mjs',
      './factory.deployment.json',
    ]);
    const bundle = path.join(aws.dir, 'bundle', 'handler.mjs');
    // The vendor's code is in the bundle: the identity its tracker reports.
    expect(readFileSync(bundle, 'utf8')).toContain('acme-bot');

    // The Lambda handler as Lambda runs it, in its own process: every secret set, the AWS endpoints on a
    // closed port (nothing leaves the machine). An unsigned delivery at the vendor's webhook is refused by
    // the vendor's own source, so its tenant was built with it.
    const script = `
const handler = await import(process.argv[1]);
const answer = await handler.http(JSON.parse(process.argv[2])).then(
  (response) => ({ status: response.statusCode, body: response.body }),
  (error) => ({ error: error.message }),
);
console.log(JSON.stringify(answer));`;
    const delivery = asHttpApiEvent({
      method: 'POST',
      path: `/t/acme/webhooks/${ACME_TYPE}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'delivery-1' }),
    });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, pathToFileURL(bundle).href, JSON.stringify(delivery)],
      {
        env: {
          ...DEPLOY_SECRETS,
          FACTORY_TABLE: 'factory-state',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
          AWS_MAX_ATTEMPTS: '1',
        },
      },
    );
    const answer = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(answer).toMatchObject({ status: 401 });
    expect(answer.body).toContain('missing signature or timestamp');
  });

  it("the Worker: `wrangler deploy --dry-run` bundles the vendor's module", async () => {
    const outdir = path.join(project, 'cf-bundle');
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(
        path.join(ROOT, 'node_modules', '.bin', 'wrangler'),
        [
          'deploy',
          '--dry-run',
          '--config',
          path.join(cloudflare.dir, 'wrangler.jsonc'),
          '--outdir',
          outdir,
          ...wranglerSourceArgs(),
        ],
        { cwd: project },
      );
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.once('close', (code) => resolve({ code, output }));
    });
    expect(result.output).toContain('--dry-run: exiting now.');
    expect(result.code).toBe(0);
    const bundle = path.join(outdir, readdirSync(outdir).find((file) => /\.m?js$/.test(file)) ?? 'missing');
    expect(readFileSync(bundle, 'utf8')).toContain('acme-bot');
  }, 120_000);
});
