import type { UserWorkspaceConfig } from 'vitest/config';
import { inheritWorkspaceSources, workspaceSources } from './scripts/workspace-sources.ts';

/** Each of our package names (exactly, subpaths being names of their own) → its TypeScript source. */
const alias = Object.entries(workspaceSources()).map(([specifier, source]) => ({
  find: new RegExp(`^${specifier.replaceAll('/', '\\/')}$`),
  replacement: source,
}));

/** A package's vitest project, resolving our packages to their sources like `tsc` does (`paths`). */
export function sourceResolvingProject(config: UserWorkspaceConfig): UserWorkspaceConfig {
  return { ...config, resolve: { ...config.resolve, alias } };
}

// Scripts the tests start with `node` (a worker script, a bundler) resolve our packages the same way.
inheritWorkspaceSources();
