import { fileURLToPath } from 'node:url';
import type { UserWorkspaceConfig } from 'vitest/config';
import { inheritWorkspaceSources, workspaceSources } from './scripts/workspace-sources.ts';

/** Each of our package names (exactly, subpaths being names of their own) → its TypeScript source. */
const alias = Object.entries(workspaceSources()).map(([specifier, source]) => ({
  find: new RegExp(`^${specifier.replaceAll('/', '\\/')}$`),
  replacement: source,
}));

/** Every test file's set-up: connections go to this machine only (`scripts/loopback-only.ts`). */
export const LOOPBACK_ONLY = fileURLToPath(new URL('./scripts/loopback-only.ts', import.meta.url));

/**
 * A package's vitest project, resolving our packages to their sources like `tsc` does (`paths`), its
 * tests allowed to connect to this machine only.
 */
export function sourceResolvingProject(config: UserWorkspaceConfig): UserWorkspaceConfig {
  const setupFiles = [config.test?.setupFiles ?? []].flat();
  return {
    ...config,
    test: { ...config.test, setupFiles: [LOOPBACK_ONLY, ...setupFiles] },
    resolve: { ...config.resolve, alias },
  };
}

// Scripts the tests start with `node` (a worker script, a bundler) resolve our packages the same way.
inheritWorkspaceSources();
