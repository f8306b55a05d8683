// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} is written literally: CloudFormation substitutions and config references.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { DASHBOARD_ASSET_FILES, DASHBOARD_ASSET_TYPES } from '@software-factory/sdk';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wranglerSourceArgs } from '../../../scripts/workspace-sources.ts';
import {
  DeployScenario,
  makeProject,
  ROOT,
  removeProject,
  SECRETS,
  TENANT,
} from './support/deploy-scenario.ts';
import { eventually, runFactory } from './support/factory-process.ts';

const scenario = new DeployScenario();
let project: string;
const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');

beforeAll(async () => {
  await scenario.start();
  project = makeProject();
  writeFileSync(path.join(project, 'factory.config.yaml'), scenario.config());
}, 60_000);
afterAll(async () => {
  await scenario.stop();
  removeProject(project);
});

/** wrangler.jsonc without its comment header. */
function readWrangler(dir: string): Record<string, unknown> {
  const text = readFileSync(path.join(dir, 'wrangler.jsonc'), 'utf8');
  return JSON.parse(text.replace(/^\/\/.*$/gm, ''));
}

/** The dashboard's stylesheet and script, fetched as a browser would: each must be the core's, typed. */
async function expectDashboardAssets(fetchPath: (path: string) => Promise<Response>): Promise<void> {
  for (const name of ['dashboard.css', 'dashboard.js'] as const) {
    const response = await fetchPath(`/t/${TENANT}/${name}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(DASHBOARD_ASSET_TYPES[name]);
    expect(await response.text()).toBe(DASHBOARD_ASSET_FILES[name]);
  }
}

function wranglerRun(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // Our packages' sources, as the CLI itself bundles them in a clone.
    const child = spawn(WRANGLER, [...args, ...wranglerSourceArgs()], {
      cwd: project,
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('factory deploy cloudflare --out', () => {
  let out: string;
  let stdout: string;
  let bundle: string;
  beforeAll(async () => {
    const result = await runFactory(['deploy', 'cloudflare', '--out', 'cf'], {
      cwd: project,
      env: { ...SECRETS },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    out = path.join(project, 'cf');
    stdout = result.stdout;
  }, 120_000);

  it('writes the entry, the config it embeds and wrangler.jsonc with the Durable Object, KV, Cron and required secrets', () => {
    const wrangler = readWrangler(out);
    expect(wrangler).toMatchObject({
      name: 'factory',
      main: 'worker.mjs',
      minify: true,
      // Names minified too; stack traces read through the uploaded source map.
      keep_names: false,
      upload_source_maps: true,
      durable_objects: { bindings: [{ name: 'FACTORY_STATE', class_name: 'FactoryStateObject' }] },
      migrations: [{ tag: 'v1', new_sqlite_classes: ['FactoryStateObject'] }],
      kv_namespaces: [{ binding: 'FACTORY_CACHE' }],
      // The dashboard's stylesheet and script are static assets beside the script, not in it.
      assets: { directory: 'assets', binding: 'ASSETS', run_worker_first: true },
      triggers: { crons: ['* * * * *'] },
      vars: {},
    });
    expect(readdirSync(path.join(out, 'assets')).sort()).toEqual(Object.keys(DASHBOARD_ASSET_FILES).sort());
    for (const [name, content] of Object.entries(DASHBOARD_ASSET_FILES))
      expect(readFileSync(path.join(out, 'assets', name), 'utf8')).toBe(content);
    // Exactly the secrets the config references: none missing, none the Worker never reads.
    expect((wrangler.secrets as { required: string[] }).required.sort()).toEqual(Object.keys(SECRETS).sort());
    const entry = readFileSync(path.join(out, 'worker.mjs'), 'utf8');
    expect(entry).toContain("from '@software-factory/cloudflare'");
    expect(entry).toContain("from '@software-factory/cli/deployment'");
    // No credentials key, no sign-ins on the deployment: the bundle leaves their support out. An operator
    // token turns the admin API on: the entry brings its rules for tenants added there.
    expect(entry).toContain(
      "import { deploymentTenants, resolvedSecretValues, remoteTenantIssues } from '@software-factory/cli/deployment';",
    );
    const deployment = readFileSync(path.join(out, 'factory.deployment.json'), 'utf8');
    expect(deployment).toContain('"apiKey": "${LINEAR_API_KEY}"');
    for (const value of Object.values(SECRETS)) expect(deployment).not.toContain(value);
  });

  it('writes the secrets file for `wrangler secret bulk` from this environment: 0600, git-ignored', () => {
    const file = path.join(out, '.secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(SECRETS);
    expect(readFileSync(path.join(out, '.gitignore'), 'utf8')).toContain('.secrets.json');
    expect(stdout).toContain(
      'npx wrangler deploy --config cf/wrangler.jsonc --secrets-file cf/.secrets.json',
    );
    expect(stdout).not.toContain(SECRETS.LINEAR_API_KEY);
  });

  it('prints the URL to register at each vendor', () => {
    expect(stdout).toContain('linear  https://<worker>.<subdomain>.workers.dev/t/acme/webhooks/linear');
    expect(stdout).toContain('fleet   https://<worker>.<subdomain>.workers.dev/t/acme/webhooks/fleet');
  });

  it('passes `wrangler deploy --dry-run`', async () => {
    const outdir = path.join(project, 'cf-bundle');
    const result = await wranglerRun([
      'deploy',
      '--dry-run',
      '--config',
      path.join(out, 'wrangler.jsonc'),
      '--outdir',
      outdir,
    ]);
    expect(result.output).toContain('--dry-run: exiting now.');
    expect(result.code).toBe(0);
    bundle = path.join(outdir, readdirSync(outdir).find((file) => /\.m?js$/.test(file)) ?? 'missing');
    expect(existsSync(bundle)).toBe(true);
  }, 120_000);

  it('runs the scenario in workerd, secrets as Worker bindings: Linear webhook → fleet → PR ready → done', async () => {
    const required = (readWrangler(out).secrets as { required: (keyof typeof SECRETS)[] }).required;
    const miniflare = new Miniflare({
      modules: [{ type: 'ESModule', path: bundle }],
      modulesRoot: path.dirname(bundle),
      compatibilityDate: '2026-04-01',
      durableObjects: { FACTORY_STATE: { className: 'FactoryStateObject', useSQLite: true } },
      kvNamespaces: ['FACTORY_CACHE'],
      // The static assets as wrangler.jsonc declares them: every request reaches the Worker first.
      assets: {
        directory: path.join(out, 'assets'),
        binding: 'ASSETS',
        routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
      },
      bindings: Object.fromEntries(required.map((name) => [name, SECRETS[name]])),
    });
    try {
      await expectDashboardAssets(
        async (assetPath) =>
          (await miniflare.dispatchFetch(`http://localhost${assetPath}`)) as unknown as Response,
      );
      const health = await miniflare.dispatchFetch('http://localhost/healthz', {
        headers: { authorization: `Bearer ${SECRETS.FACTORY_OPERATOR_TOKEN}` },
      });
      expect(await health.json()).toMatchObject({
        status: 'ok',
        tenants: [
          {
            id: TENANT,
            connections: [
              { provider: 'linear', state: 'connected' },
              { provider: 'slack', state: 'connected' },
              { provider: 'github', state: 'connected' },
            ],
          },
        ],
      });

      const created = scenario.issueCreated();
      const delivered = await miniflare.dispatchFetch(`http://localhost/t/${TENANT}/webhooks/linear`, {
        method: 'POST',
        headers: created.headers,
        body: created.body,
      });
      expect(delivered.status).toBe(200);
      await eventually(() => (scenario.issueState() === 'In Progress' ? true : undefined));
      expect(scenario.fleetWrites()).toEqual(['POST /factory/agents']);

      const ready = scenario.pullRequestReady();
      const completed = await miniflare.dispatchFetch(`http://localhost/t/${TENANT}/webhooks/github`, {
        method: 'POST',
        headers: ready.headers,
        body: ready.body,
      });
      expect(completed.status).toBe(200);
      await eventually(() => (scenario.issueState() === 'Done' ? true : undefined));
      await eventually(() => (scenario.fleetWrites().length === 2 ? true : undefined));
      expect(scenario.fleetWrites()[1]).toMatch(/^DELETE \/factory\/agents\//);
    } finally {
      await miniflare.dispose();
    }
  }, 120_000);

  it('is served by `wrangler dev`, its secrets from .dev.vars', async () => {
    const port = await freePort();
    const vars = Object.entries(SECRETS)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n');
    writeFileSync(path.join(out, '.dev.vars'), `${vars}\n`, { mode: 0o600 });
    const child = spawn(
      WRANGLER,
      [
        'dev',
        '--config',
        path.join(out, 'wrangler.jsonc'),
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--show-interactive-dev-session=false',
        ...wranglerSourceArgs(),
      ],
      {
        cwd: project,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    try {
      const health = await eventually(async () => {
        if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
        try {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
            headers: { authorization: `Bearer ${SECRETS.FACTORY_OPERATOR_TOKEN}` },
          });
          return response.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
        } catch {
          return undefined;
        }
      }, 250);
      expect(health).toMatchObject({ status: 'ok', tenants: [{ id: TENANT }] });
      await expectDashboardAssets((assetPath) => fetch(`http://127.0.0.1:${port}${assetPath}`));
    } finally {
      await stop(child);
    }
  }, 120_000);
});

describe('factory deploy cloudflare without --out', () => {
  it('runs wrangler deploy with the secrets file, which is 0600 while it runs and gone after', async () => {
    const log = path.join(project, 'wrangler.log');
    const fake = `#!/bin/sh
printf '%s\\n' "$@" > ${log}
while [ $# -gt 0 ]; do
  if [ "$1" = "--secrets-file" ]; then stat -c %a "$2" >> ${log}; fi
  shift
done
echo 'Deployed factory triggers (1.23 sec)'
echo '  https://factory.acme-team.workers.dev'
`;
    const withTool = makeProject({ bin: { wrangler: fake } });
    writeFileSync(path.join(withTool, 'factory.config.yaml'), scenario.config());
    try {
      const result = await runFactory(['deploy', 'cloudflare', '--name', 'acme-factory'], {
        cwd: withTool,
        env: { ...SECRETS },
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const recorded = readFileSync(log, 'utf8').trim().split('\n');
      expect(recorded).toEqual([
        'deploy',
        '--config',
        '.factory/deploy/cloudflare/wrangler.jsonc',
        '--secrets-file',
        '.factory/deploy/cloudflare/.secrets.json',
        // Run from a clone, the CLI has wrangler bundle the clone's sources (tsconfig's paths).
        '--tsconfig',
        path.join(ROOT, 'tsconfig.base.json'),
        '600',
      ]);
      expect(existsSync(path.join(withTool, '.factory/deploy/cloudflare/.secrets.json'))).toBe(false);
      expect(readWrangler(path.join(withTool, '.factory/deploy/cloudflare')).name).toBe('acme-factory');
      expect(result.stdout).toContain('linear  https://factory.acme-team.workers.dev/t/acme/webhooks/linear');
    } finally {
      removeProject(withTool);
    }
  });

  it('refuses to deploy while a secret is unset in the environment, naming it', async () => {
    const { GITHUB_TOKEN: _left, ...rest } = SECRETS;
    const result = await runFactory(['deploy', 'cloudflare'], { cwd: project, env: rest });
    expect(result.stderr).toBe(
      'factory: set GITHUB_TOKEN in the environment: the deploy uploads it as Worker secrets\n',
    );
    expect(result.code).toBe(2);
    expect(existsSync(path.join(project, '.factory/deploy/cloudflare/.secrets.json'))).toBe(false);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Stops wrangler dev and the workerd it started (its process group), and waits for it. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
