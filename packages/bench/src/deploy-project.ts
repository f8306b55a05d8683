import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { benchTenantConfig, secretReference } from './bench-config.ts';

const require = createRequire(import.meta.url);
const cliDir = join(dirname(require.resolve('@software-factory/cli')), '..');
/** The repository's node_modules, which the project links to as a user's project has its own. */
const rootModules = join(cliDir, '..', '..', 'node_modules');

/**
 * The bench tenant as `factory.config.yaml` deploys it, with an HTTP fleet (a serverless deployment has
 * no local one).
 */
export function deployConfig(vendorUrl: string): string {
  const { tenant, routes, ...vendors } = benchTenantConfig(vendorUrl);
  return stringify({
    tenant,
    tick: { interval: '1m' },
    ...vendors,
    fleet: { type: 'http', url: `${vendorUrl}/fleet`, secret: secretReference('BENCH_FLEET_SECRET') },
    routes,
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
