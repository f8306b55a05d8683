// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { CLIENT_ID } from '../../auth/test/support/loopback-oauth-server.ts';
import { makeProject, removeProject, SECRETS } from './support/deploy-scenario.ts';
import { runFactory } from './support/factory-process.ts';
import { remoteOnboardingSpec } from './support/remote-onboarding.ts';
import { RemoteTenantsWorld } from './support/remote-tenants-world.ts';
import { bundleWorker } from './support/worker-bundle.ts';

// The Worker `factory deploy cloudflare --out` generates from a config with no tenant, bundled by wrangler
// and run by Miniflare in workerd (Durable Object state, KV), reached at Miniflare's own loopback URL. The
// deployment's secrets and Linear's OAuth app are Worker bindings.
const world = new RemoteTenantsWorld();
let project: string | undefined;
let miniflare: Miniflare | undefined;
let url = '';
let output = '';
/** Miniflare's own temporary folders: it removes them after `dispose` resolves, so the test waits. */
let scratch: string[] = [];

beforeAll(async () => {
  await world.start();
  project = makeProject({ prefix: 'factory-tenants-cf-' });
  writeFileSync(
    path.join(project, 'factory.config.yaml'),
    // The deployment's Linear app comes with the config: its client secret is a Worker secret like the rest.
    `server:
  operatorToken: \${FACTORY_OPERATOR_TOKEN}
  credentialsKey: \${FACTORY_CREDENTIALS_KEY}
  oauthApps:
    linear: { clientId: ${CLIENT_ID}, clientSecret: "\${LINEAR_CLIENT_SECRET}" }
tick: { interval: 1m }
# No tenant yet: the vendors of those the admin API will add (Linear comes with its OAuth app).
providers: [slack, github]
tenants: []
`,
  );
  const generated = await runFactory(['deploy', 'cloudflare', '--out', 'cf'], {
    cwd: project,
    env: {
      FACTORY_OPERATOR_TOKEN: SECRETS.FACTORY_OPERATOR_TOKEN,
      FACTORY_CREDENTIALS_KEY: world.credentialsKey,
    },
  });
  expect(generated.stderr).toBe('');
  expect(generated.code).toBe(0);
  const wrangler = readFileSync(path.join(project, 'cf', 'wrangler.jsonc'), 'utf8');
  expect(JSON.parse(wrangler.replace(/^\/\/.*$/gm, '')).secrets.required.sort()).toEqual([
    'FACTORY_CREDENTIALS_KEY',
    'FACTORY_OPERATOR_TOKEN',
    'LINEAR_CLIENT_SECRET',
  ]);
  // A deployment with a credentials key signs tenants in itself: its entry brings the sign-in support.
  expect(readFileSync(path.join(project, 'cf', 'worker.mjs'), 'utf8')).toContain(
    "import { deploymentTenants, resolvedSecretValues, signIns, remoteTenantIssues } from '@software-factory/cli/deployment';",
  );
  const { LINEAR_CLIENT_ID: _fromConfig, ...bindings } = world.deploymentEnv();
  const bundle = await bundleWorker(project, 'cf', 'cf-bundle');
  const before = new Set(miniflareFolders());
  const collect = (stream: Readable) => stream.setEncoding('utf8').on('data', (chunk) => (output += chunk));
  miniflare = new Miniflare({
    modules: [{ type: 'ESModule', path: bundle }],
    modulesRoot: path.dirname(bundle),
    compatibilityDate: '2026-04-01',
    durableObjects: { FACTORY_STATE: { className: 'FactoryStateObject', useSQLite: true } },
    kvNamespaces: ['FACTORY_CACHE'],
    bindings,
    host: '127.0.0.1',
    port: 0,
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      collect(stdout);
      collect(stderr);
    },
  });
  url = (await miniflare.ready).origin;
  scratch = miniflareFolders().filter((folder) => !before.has(folder));
}, 120_000);

afterAll(async () => {
  await miniflare?.dispose();
  for (const deadline = Date.now() + 5_000; scratch.some(existsSync) && Date.now() < deadline; )
    await new Promise((resolve) => setTimeout(resolve, 50));
  await world.stop();
  if (project) removeProject(project);
});

function miniflareFolders(): string[] {
  return readdirSync(tmpdir())
    .filter((name) => name.startsWith('miniflare-'))
    .map((name) => path.join(tmpdir(), name));
}

describe('tenants as data on Workers: the Worker factory deploy cloudflare generates, in workerd, onboarded with the CLI', () => {
  remoteOnboardingSpec(world, () => ({ url, output: () => output }));
});
