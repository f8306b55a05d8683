import { fileURLToPath } from 'node:url';

/**
 * Whether the CLI runs from its TypeScript sources, in a clone of the repository (`bin/factory.js` picks
 * them when they are there). Installed, it runs `dist/`.
 */
const runsFromSources = import.meta.url.endsWith('.ts');

/** The module a Node process `--import`s to resolve our package names to their sources in a clone. */
const CLONE_REGISTER_SOURCES = new URL('../../../scripts/register-workspace-sources.ts', import.meta.url);

/**
 * In a clone, the tsconfig whose `paths` map our package names to their sources: the bundles the CLI
 * makes (the Lambda by esbuild, the Worker by wrangler) take the clone's sources through it, never a
 * stale build. Installed: none, and the bundles take the installed builds.
 */
export const cloneTsconfig = runsFromSources
  ? fileURLToPath(new URL('../../../tsconfig.base.json', import.meta.url))
  : undefined;

/**
 * The command that runs one of this package's own scripts in a new Node process. Installed, that is the
 * built `.js`. In a clone, where the calling module itself runs from `src/*.ts`, it is the `.ts` source,
 * with our package names resolving to sources in the child too.
 */
export function nodeScriptCommand(relativePath: string, callerUrl: string): string[] {
  const fromSource = callerUrl.endsWith('.ts');
  const file = fileURLToPath(new URL(`${relativePath}${fromSource ? '.ts' : '.js'}`, callerUrl));
  return fromSource
    ? [process.execPath, `--import=${CLONE_REGISTER_SOURCES.href}`, file]
    : [process.execPath, file];
}
