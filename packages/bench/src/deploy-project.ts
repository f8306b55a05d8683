import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { BENCH_CHANNEL, BENCH_REPOSITORY, BENCH_TENANT } from './bench-tenant.ts';
import type { FACTORY_ENV } from './factory-process.ts';

const require = createRequire(import.meta.url);
const cliDir = join(dirname(require.resolve('@software-factory/cli')), '..');
/** The repository's node_modules, which the project links to as a user's project has its own. */
const rootModules = join(cliDir, '..', '..', 'node_modules');

/** A `${NAME}` secret reference, as `factory deploy` wants secrets written. */
const reference = (name: keyof typeof FACTORY_ENV) => `\${${name}}`;

/**
 * The bench tenant as `factory.config.yaml` deploys it: the direct Linear, Slack and GitHub providers
 * pointed at the loopback vendors, and an HTTP fleet (a serverless deployment has no local one).
 */
export function deployConfig(vendorUrl: string): string {
  return stringify({
    tenant: BENCH_TENANT,
    tick: { interval: '1m' },
    intentProvider: {
      type: 'linear',
      transport: 'direct',
      apiUrl: `${vendorUrl}/linear/graphql`,
      apiKey: reference('BENCH_LINEAR_API_KEY'),
      webhookSecret: reference('BENCH_LINEAR_WEBHOOK_SECRET'),
      readyStates: ['Todo'],
      requiredLabels: ['factory'],
    },
    clarificationChannel: {
      type: 'slack',
      transport: 'direct',
      apiUrl: `${vendorUrl}/slack/api`,
      botToken: reference('BENCH_SLACK_BOT_TOKEN'),
      signingSecret: reference('BENCH_SLACK_SIGNING_SECRET'),
      channel: BENCH_CHANNEL,
    },
    outputTarget: {
      type: 'github',
      transport: 'direct',
      baseUrl: `${vendorUrl}/github`,
      token: reference('BENCH_GITHUB_TOKEN'),
      webhookSecret: reference('BENCH_GITHUB_WEBHOOK_SECRET'),
    },
    fleet: { type: 'http', url: `${vendorUrl}/fleet`, secret: reference('BENCH_FLEET_SECRET') },
    routes: [{ name: 'app', match: { labels: ['factory'] }, repository: BENCH_REPOSITORY, agent: 'coder' }],
  });
}

/**
 * `factory deploy aws --out aws` and `factory deploy cloudflare --out cloudflare` in `dir`, made to look
 * like a user's project (a package.json, node_modules linking the repository's packages), as the CLI's
 * deploy tests do. Returns the Lambda bundle and the Worker's wrangler.jsonc.
 */
export function deployProject(dir: string, vendorUrl: string): { lambda: string; wrangler: string } {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'bench-project', private: true, type: 'module' }),
  );
  const modules = join(dir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  for (const name of readdirSync(rootModules))
    if (!name.startsWith('.')) symlinkSync(join(rootModules, name), join(modules, name));
  writeFileSync(join(dir, 'factory.config.yaml'), deployConfig(vendorUrl));
  const factory = join(cliDir, 'bin', 'factory.js');
  for (const [platform, out] of [
    ['aws', 'aws'],
    ['cloudflare', 'cloudflare'],
  ] as const)
    execFileSync(process.execPath, [factory, 'deploy', platform, '--out', out], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  return {
    lambda: join(dir, 'aws', 'bundle', 'handler.mjs'),
    wrangler: join(dir, 'cloudflare', 'wrangler.jsonc'),
  };
}
