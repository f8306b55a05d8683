// In a clone, our package names resolve to their TypeScript sources, so tests, scripts and `factory`
// never run a stale build. Published manifests name only `dist/` (Node refuses `.ts` under
// node_modules), so the mapping lives here, derived from each package's `exports`: `./dist/x.js` is
// built from `./src/x.ts`. Vitest, esbuild and Node's resolve hook read it; tsc and wrangler read its copy
// in tsconfig.base.json's `paths` (test/workspace-sources.test.ts keeps the two equal).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The module to `--import` (or put in NODE_OPTIONS) for a Node process that runs our sources. */
export const REGISTER_SOURCES_URL = new URL('./register-workspace-sources.ts', import.meta.url).href;

type ExportTarget = string | { import?: string; default?: string } | null;

/** Every exported specifier of every workspace package (`@software-factory/sdk/testing`, …) → its source file. */
export function workspaceSources(root: string = REPOSITORY_ROOT): Record<string, string> {
  const sources: Record<string, string> = {};
  const packagesDir = path.join(root, 'packages');
  for (const folder of readdirSync(packagesDir).sort()) {
    const manifestPath = path.join(packagesDir, folder, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      name: string;
      exports?: Record<string, ExportTarget>;
    };
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      const built = typeof target === 'string' ? target : (target?.import ?? target?.default);
      if (!built?.startsWith('./dist/') || !built.endsWith('.js'))
        throw new Error(`${manifestPath}: exports["${subpath}"] must name a ./dist/*.js file, not ${built}`);
      const source = path.join(
        packagesDir,
        folder,
        `./src/${built.slice('./dist/'.length, -'.js'.length)}.ts`,
      );
      if (!existsSync(source))
        throw new Error(`${manifestPath}: exports["${subpath}"] has no source ${source}`);
      sources[subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`] = source;
    }
  }
  return sources;
}

/** Makes this Node process resolve our package names to their sources (see register-workspace-sources.ts). */
export async function resolveWorkspaceToSources(): Promise<void> {
  const sources = workspaceSources();
  const { registerHooks } = await import('node:module');
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const source = sources[specifier];
      return source
        ? { url: pathToFileURL(source).href, shortCircuit: true }
        : nextResolve(specifier, context);
    },
  });
}

/** Node processes this one starts (worker scripts, bundlers, `factory`) resolve our packages the same way. */
export function inheritWorkspaceSources(): void {
  const option = `--import=${REGISTER_SOURCES_URL}`;
  if (!process.env.NODE_OPTIONS?.includes(option))
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${option}`.trim();
}

/**
 * `wrangler deploy` / `wrangler dev` arguments that bundle our packages' sources instead of their builds.
 * Wrangler's `--alias` is ignored by `deploy` (4.x reads only the config's `alias`), so the bundle takes
 * tsconfig's `paths`, the same map (test/workspace-sources.test.ts keeps them equal).
 */
export function wranglerSourceArgs(): string[] {
  return ['--tsconfig', path.join(REPOSITORY_ROOT, 'tsconfig.base.json')];
}
