import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Miniflare, type Request as MiniflareRequest, Response as MiniflareResponse } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { withLoopbackGuard } from '../../scripts/loopback-guard.mjs';
import { type PackedPackage, PUBLISHED, packAll } from './pack.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const ROOT_BIN = join(ROOT, 'node_modules', '.bin');

/**
 * What a user gets from npm: every package packed, the tarballs installed into an empty project with no
 * TypeScript loader and no workspace links, and everything run there with plain Node.
 */
const work = mkdtempSync(join(tmpdir(), 'factory-packaging-'));
const project = join(work, 'project');
let packed: PackedPackage[];

/**
 * The environment of a user's shell: our Node and git on PATH, nothing that points back at the clone's
 * sources (no loader in `NODE_OPTIONS`). Only the tests' guard is kept, which holds what runs there to
 * this machine and resolves no module.
 */
function userEnv(cwd: string): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _sourceCondition, ...rest } = process.env;
  const system = (process.env.PATH ?? '').split(':').filter((entry) => !entry.startsWith(ROOT));
  return withLoopbackGuard({
    ...rest,
    PATH: [join(cwd, 'node_modules', '.bin'), dirname(process.execPath), ...system].join(':'),
  });
}

async function inProject(command: string, args: string[], cwd = project) {
  return run(command, args, { cwd, env: userEnv(cwd), maxBuffer: 32 * 1024 * 1024 });
}

async function installInto(dir: string, names: readonly string[], extra: Record<string, string> = {}) {
  mkdirSync(dir, { recursive: true });
  const dependencies = Object.fromEntries([
    ...packed.filter((p) => names.includes(p.name)).map((p) => [p.name, `file:${p.tarball}`]),
    ...Object.entries(extra),
  ]);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'a-user-project', private: true, type: 'module', dependencies }, null, 2),
  );
  // The registry's packages come from npm's cache, filled by `npm ci`; nothing of the clone is linked.
  await inProject('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
}

beforeAll(async () => {
  packed = await packAll(join(work, 'tarballs'));
  const vitestVersion = JSON.parse(
    readFileSync(join(ROOT, 'node_modules/vitest/package.json'), 'utf8'),
  ).version;
  const esbuildVersion = JSON.parse(
    readFileSync(join(ROOT, 'node_modules/esbuild/package.json'), 'utf8'),
  ).version;
  const anthropicVersion = JSON.parse(
    readFileSync(join(ROOT, 'node_modules/@anthropic-ai/sdk/package.json'), 'utf8'),
  ).version;
  // vitest is the optional peer of @software-factory/sdk/testing, installed as a user of that entry would;
  // esbuild is what `factory deploy aws` bundles with, installed as its error message says; Anthropic's
  // SDK (and not OpenAI's) as a user of a Claude triage has it.
  await installInto(
    project,
    packed.map((p) => p.name),
    { vitest: vitestVersion, esbuild: esbuildVersion, '@anthropic-ai/sdk': anthropicVersion },
  );
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed packages', () => {
  it('are every published package, under one scope, with no test files', () => {
    expect(packed.map((p) => p.name).sort()).toEqual([...PUBLISHED].sort());
    for (const { name, files } of packed) {
      const tests = files.filter((file) =>
        /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]s$/.test(file),
      );
      expect([name, tests]).toEqual([name, []]);
      expect(files).toContain('LICENSE');
      expect(files).toContain('README.md');
      expect(files.some((file) => file.endsWith('.tsbuildinfo'))).toBe(false);
    }
  });
});

describe('the published manifests', () => {
  it('name only built files: no TypeScript source in exports or bin', () => {
    for (const { name } of packed) {
      const manifest = readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8');
      const { exports, bin } = JSON.parse(manifest) as { exports: unknown; bin?: unknown };
      const targets = JSON.stringify({ exports, bin });
      expect([name, targets.match(/"[^"]*(?<!\.d)\.[cm]?ts"/g)]).toEqual([name, null]);
    }
  });
});

describe('installed into an empty project', () => {
  it('factory --version prints the version', async () => {
    const { stdout } = await inProject(join(project, 'node_modules/.bin/factory'), ['--version']);
    expect(stdout.trim()).toBe(packed.find((p) => p.name === '@software-factory/cli')?.version);
  });

  it('factory demo runs the whole pipeline offline', async () => {
    const demoDir = join(work, 'demo');
    mkdirSync(demoDir);
    const { stdout } = await inProject(join(project, 'node_modules/.bin/factory'), ['demo'], demoDir);
    // The demo keeps the folder it made for the person who ran it ("Look around in <dir>"); the test
    // removes it.
    const kept = /Look around in (.+)$/m.exec(stdout)?.[1];
    if (kept?.startsWith(tmpdir())) onTestFinished(() => rmSync(kept, { recursive: true, force: true }));
    expect(stdout).toContain('All 3 work items are done.');
  }, 120_000);

  it('every entry point of every Node package imports in plain Node', async () => {
    const entries = packed
      .filter((p) => p.name !== '@software-factory/cloudflare')
      .flatMap((p) =>
        p.exports.map((subpath) => (subpath === '.' ? p.name : `${p.name}/${subpath.slice(2)}`)),
      );
    const script = `for (const entry of ${JSON.stringify(entries)}) {
      const module = await import(entry);
      console.log(entry, Object.keys(module).length);
    }`;
    const { stdout } = await inProject(process.execPath, ['--input-type=module', '-e', script]);
    for (const entry of entries) expect(stdout).toMatch(new RegExp(`^${entry} [1-9]\\d*$`, 'm'));
  }, 60_000);

  it.each([
    // tsc's default libraries for Node (@relayfile/sdk's types name DOM's ErrorEvent); none but ES for a Worker.
    ['a Node program', 'node.ts', NODE_CONSUMER, join(ROOT, 'node_modules/@types/node'), 'es2023,dom'],
    [
      'a Worker',
      'worker.ts',
      WORKER_CONSUMER,
      join(ROOT, 'node_modules/@cloudflare/workers-types'),
      'es2023',
    ],
  ])(
    '%s using the packages type-checks against the installed types (tsc --module nodenext)',
    async (_, file, source, types, lib) => {
      mkdirSync(join(project, 'consumers'), { recursive: true });
      writeFileSync(join(project, 'consumers', file), source);
      const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
      // The runtime's own types come from the clone: a user has their own.
      const ambient = ['--target', 'es2023', '--lib', lib, '--types', types];
      const result = await inProject(join(ROOT_BIN, 'tsc'), [
        ...args,
        ...ambient,
        join('consumers', file),
      ]).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
      expect(result.stdout).toBe('');
    },
    120_000,
  );

  it('the Worker bundles with wrangler from the installed packages and answers inside workerd', async () => {
    const cloudflare = join(project, 'node_modules/@software-factory/cloudflare');
    cpSync(join(cloudflare, 'example'), join(project, 'example'), { recursive: true });
    // As the package's README says: the dashboard's stylesheet and script go with the entry, as the
    // Worker's static assets that its wrangler.jsonc declares.
    cpSync(join(cloudflare, 'assets'), join(project, 'assets'), { recursive: true });
    expect(readdirSync(join(project, 'assets')).sort()).toEqual(['dashboard.css', 'dashboard.js']);
    const wrangler = readFileSync(join(cloudflare, 'wrangler.jsonc'), 'utf8').replace(
      /"\$schema": "[^"]*",\n/,
      '',
    );
    writeFileSync(join(project, 'wrangler.jsonc'), wrangler);
    const outdir = join(work, 'worker-bundle');
    await inProject(join(ROOT_BIN, 'wrangler'), ['deploy', '--dry-run', '--outdir', outdir]);
    const bundle = readdirSync(outdir).find((file) => /\.m?js$/.test(file));
    expect(bundle).toBeDefined();
    expect(readFileSync(join(outdir, bundle ?? ''), 'utf8')).not.toMatch(/packages\/[a-z-]+\/src\//);

    const miniflare = new Miniflare({
      modules: [{ type: 'ESModule', path: join(outdir, bundle ?? '') }],
      modulesRoot: outdir,
      compatibilityDate: '2026-04-01',
      durableObjects: { FACTORY_STATE: { className: 'FactoryStateObject', useSQLite: true } },
      kvNamespaces: ['FACTORY_CACHE'],
      bindings: { FACTORY_TENANT: 'acme' },
    });
    try {
      const answer = await miniflare.dispatchFetch('http://localhost/healthz');
      // The example's own check: its secrets are missing, and it names them.
      expect(answer.status).toBe(500);
      expect(await answer.text()).toContain('LINEAR_API_KEY');
    } finally {
      await miniflare.dispose();
    }
  }, 180_000);

  it('the Lambda handler bundles with esbuild from the installed packages and loads in Node', async () => {
    const aws = join(project, 'node_modules/@software-factory/aws');
    cpSync(join(aws, 'examples'), join(project, 'lambda'), { recursive: true });
    const outfile = join(work, 'lambda-bundle', 'handler.mjs');
    await inProject(join(ROOT_BIN, 'esbuild'), [
      'lambda/handler.ts',
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node22',
      `--outfile=${outfile}`,
      "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      '--log-level=warning',
    ]);
    expect(readFileSync(outfile, 'utf8')).not.toMatch(/packages\/[a-z-]+\/src\//);
    const script = `const handler = await import(${JSON.stringify(outfile)});
      console.log(typeof handler.http, typeof handler.schedule);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: work,
      // What template.yaml gives the function: the example reads its table at import.
      env: { ...userEnv(work), FACTORY_TABLE: 'factory', AWS_REGION: 'us-east-1' },
    });
    expect(stdout.trim()).toBe('function function');
  }, 120_000);
});

describe('factory deploy from the installed packages', () => {
  const secrets = {
    LINEAR_API_KEY: 'lin_api_packaging',
    LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret-packaging',
    SLACK_BOT_TOKEN: 'xoxb-packaging',
    SLACK_SIGNING_SECRET: 'slack-signing-secret-packaging',
    GITHUB_TOKEN: 'ghp_packaging',
    GITHUB_WEBHOOK_SECRET: 'github-webhook-secret-packaging',
    FLEET_SECRET: 'fleet-secret-packaging',
  };
  beforeAll(() => writeFileSync(join(project, 'factory.config.yaml'), DEPLOY_CONFIG));

  it('aws --out: the handler is bundled with the config embedded and resolves its secrets in plain Node', async () => {
    const { stdout } = await inProject(join(project, 'node_modules/.bin/factory'), [
      'deploy',
      'aws',
      '--out',
      'deploy-aws',
    ]);
    expect(stdout).toContain('linear  <WebhookBaseUrl>/t/acme/webhooks/linear');
    const bundle = join(project, 'deploy-aws/bundle/handler.mjs');
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/packages\/[a-z-]+\/src\//);
    // No AWS here: the first invocation stops at the first secret, which it names.
    const script = `const handler = await import(${JSON.stringify(bundle)});
      const event = { version: '2.0', rawPath: '/healthz', rawQueryString: '', headers: {},
        requestContext: { http: { method: 'GET', path: '/healthz', sourceIp: '127.0.0.1' }, domainName: 'x.example' },
        isBase64Encoded: false };
      await handler.http(event).then(() => console.log('answered'), (error) => console.log(error.message));`;
    const result = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: project,
      env: { ...userEnv(project), FACTORY_TABLE: 'factory', AWS_REGION: 'us-east-1' },
    });
    expect(result.stdout).toMatch(
      /secret \$\{[A-Z_]+\}: the function's environment variable [A-Z_]+ is not set/,
    );
  }, 180_000);

  it('cloudflare --out: wrangler bundles the Worker and workerd runs it with its secrets as bindings', async () => {
    await run(join(project, 'node_modules/.bin/factory'), ['deploy', 'cloudflare', '--out', 'deploy-cf'], {
      cwd: project,
      env: { ...userEnv(project), ...secrets },
    });
    expect(statSync(join(project, 'deploy-cf/.secrets.json')).mode & 0o777).toBe(0o600);
    const outdir = join(work, 'deploy-cf-bundle');
    await inProject(join(ROOT_BIN, 'wrangler'), [
      'deploy',
      '--dry-run',
      '--config',
      join(project, 'deploy-cf/wrangler.jsonc'),
      '--outdir',
      outdir,
    ]);
    const bundle = readdirSync(outdir).find((file) => /\.m?js$/.test(file)) ?? '';
    // The deployment's providers call the vendors' real APIs (its health checks each connection): every
    // request the Worker makes out is answered here, refused, so none leaves the machine.
    const outbound: string[] = [];
    const miniflare = new Miniflare({
      modules: [{ type: 'ESModule', path: join(outdir, bundle) }],
      modulesRoot: outdir,
      compatibilityDate: '2026-04-01',
      durableObjects: { FACTORY_STATE: { className: 'FactoryStateObject', useSQLite: true } },
      kvNamespaces: ['FACTORY_CACHE'],
      bindings: secrets,
      outboundService: (request: MiniflareRequest) => {
        outbound.push(new URL(request.url).host);
        return new MiniflareResponse('tests reach no vendor', { status: 503 });
      },
    });
    try {
      const answer = await miniflare.dispatchFetch('http://localhost/healthz');
      const deployment = JSON.parse(readFileSync(join(project, 'deploy-cf/factory.deployment.json'), 'utf8'));
      expect(await answer.json()).toMatchObject({ version: deployment.version });
      // Its connection checks went to the three vendors' APIs, and only here.
      expect(new Set(outbound)).toEqual(new Set(['api.linear.app', 'slack.com', 'api.github.com']));
    } finally {
      await miniflare.dispose();
    }
  }, 180_000);
});

describe('factory deploy with a model triage, its SDK installed and the other one not', () => {
  const config = `${DEPLOY_CONFIG}triage:\n  type: llm\n  provider: anthropic\n  model: claude-sonnet-4-5\n  apiKey: \${ANTHROPIC_API_KEY}\n`;
  beforeAll(() => writeFileSync(join(project, 'model.yaml'), config));

  it('aws: the SDK the config does not use stays outside the bundle', async () => {
    await inProject(join(project, 'node_modules/.bin/factory'), [
      'deploy',
      'aws',
      '-c',
      'model.yaml',
      '--out',
      'model-aws',
    ]);
    const bundle = readFileSync(join(project, 'model-aws/bundle/handler.mjs'), 'utf8');
    expect(bundle).toContain('import("openai")');
    expect(bundle).not.toContain('import("@anthropic-ai/sdk")');
  }, 180_000);

  it('cloudflare: wrangler bundles it, the missing SDK replaced by a module that names it', async () => {
    await inProject(join(project, 'node_modules/.bin/factory'), [
      'deploy',
      'cloudflare',
      '-c',
      'model.yaml',
      '--out',
      'model-cf',
    ]);
    const outdir = join(work, 'model-cf-bundle');
    await inProject(join(ROOT_BIN, 'wrangler'), [
      'deploy',
      '--dry-run',
      '--config',
      join(project, 'model-cf/wrangler.jsonc'),
      '--outdir',
      outdir,
    ]);
    const bundle = readdirSync(outdir).find((file) => /\.m?js$/.test(file)) ?? '';
    expect(readFileSync(join(outdir, bundle), 'utf8')).toContain(
      'openai is not installed in the project that built this Worker: npm install openai',
    );
  }, 180_000);
});

describe('the CLI installed alone', () => {
  const alone = join(work, 'cli-alone');
  const HEAVY = ['wrangler', 'workerd', 'miniflare', 'playwright-core', 'vitest', 'esbuild', 'typescript'];
  const OPTIONAL = ['@anthropic-ai/sdk', 'openai', '@agent-relay/sdk', '@aws-sdk/client-dynamodb'];

  it('pulls no deploy tool, browser, AWS SDK, LLM SDK or test tool, and says how much it weighs', async () => {
    const cli = packed.find((p) => p.name === '@software-factory/cli');
    await installInto(alone, [cli?.name ?? '', ...(cli?.workspaceDependencies ?? [])]);
    const installed = (await inProject('npm', ['ls', '--all', '--parseable'], alone)).stdout;
    for (const name of [...HEAVY, ...OPTIONAL])
      expect([name, installed.includes(`/node_modules/${name}\n`)]).toEqual([name, false]);
    const { stdout } = await inProject('du', ['-sk', 'node_modules'], alone);
    const mebibytes = Number(stdout.split('\t')[0]) / 1024;
    console.log(`npm i @software-factory/cli: node_modules is ${mebibytes.toFixed(1)} MiB`);
    const version = await inProject(join(alone, 'node_modules/.bin/factory'), ['--version'], alone);
    expect(version.stdout.trim()).toBe(cli?.version);
  }, 300_000);

  it('factory deploy names the packages it needs and how to install them', async () => {
    writeFileSync(join(alone, 'factory.config.yaml'), DEPLOY_CONFIG);
    const failed = await inProject(
      join(alone, 'node_modules/.bin/factory'),
      ['deploy', 'aws', '--out', 'x'],
      alone,
    ).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain(
      'run `npm install @software-factory/aws && npm install --save-dev esbuild`',
    );
  });
});

/** A tenant as the README's deploy sections write it: every secret a reference. */
const DEPLOY_CONFIG = `tenant: acme
intentProvider: { type: linear, transport: direct, apiKey: "\${LINEAR_API_KEY}", webhookSecret: "\${LINEAR_WEBHOOK_SECRET}" }
clarificationChannel:
  type: slack
  transport: direct
  channel: C0123456789
  botToken: \${SLACK_BOT_TOKEN}
  signingSecret: \${SLACK_SIGNING_SECRET}
outputTarget: { type: github, transport: direct, token: "\${GITHUB_TOKEN}", webhookSecret: "\${GITHUB_WEBHOOK_SECRET}" }
fleet: { type: http, url: https://fleet.acme.example, secret: "\${FLEET_SECRET}" }
routes:
  - { name: app, match: { labels: [factory] }, repository: acme/app, agent: claude }
`;

/** What a user's own code imports: each package's main types, used the way its README shows. */
const NODE_CONSUMER = `import type { StateStore, WorkItem } from '@software-factory/sdk';
import { InMemoryStateStore } from '@software-factory/sdk';
import { describeStateStoreConformance } from '@software-factory/sdk/testing';
import { createLambdaHandlers, DynamoStateStore } from '@software-factory/aws';
import { GithubOutputTarget, LinearWorkItemProvider, SlackClarificationChannel } from '@software-factory/providers';
import { RelayfileMount } from '@software-factory/relayfile';
import { DirectoryMount } from '@software-factory/relayfile/directory-mount';
import { HttpFleet } from '@software-factory/fleets/http';
import { createTriage } from '@software-factory/llm-triage';
import { EncryptedFileCredentialStore } from '@software-factory/auth';
import { runCli } from '@software-factory/cli';
import { PostgresStateStore } from '@software-factory/postgres';

const store: StateStore = new InMemoryStateStore();
const item: WorkItem | undefined = undefined;
export const used = [store, item, describeStateStoreConformance, createLambdaHandlers, DynamoStateStore,
  GithubOutputTarget, LinearWorkItemProvider, SlackClarificationChannel, RelayfileMount, DirectoryMount,
  HttpFleet, createTriage, EncryptedFileCredentialStore, runCli, PostgresStateStore] as const;
`;

const WORKER_CONSUMER = `import { createFactoryWorker, FactoryStateObject } from '@software-factory/cloudflare';
import { StaticTenantRegistry } from '@software-factory/sdk';
import { HttpFleet } from '@software-factory/fleets/http';

export { FactoryStateObject };
export const used = [createFactoryWorker, StaticTenantRegistry, HttpFleet] as const;
`;
