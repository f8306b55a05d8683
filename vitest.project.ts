import { defaultServerConditions } from 'vite';
import type { UserWorkspaceConfig } from 'vitest/config';

/**
 * The export condition that points each of our package names at its TypeScript sources, so the tests run
 * on `src/` and never on a stale `dist/`. Child processes get it through NODE_OPTIONS (vitest.config.ts).
 */
export const SOURCE_CONDITION = '@software-factory/source';

/** Vitest's own default (Vite's server conditions less `module`), with ours first. */
const conditions = [
  SOURCE_CONDITION,
  ...defaultServerConditions.filter((condition) => condition !== 'module'),
];

/** A package's vitest project, resolving our packages to their sources like `tsc` does (customConditions). */
export function sourceResolvingProject(config: UserWorkspaceConfig): UserWorkspaceConfig {
  return { ...config, resolve: { conditions }, ssr: { resolve: { conditions } } };
}

// Scripts the tests start with `node` (a worker script, a bundler) resolve our packages the same way.
if (!process.env.NODE_OPTIONS?.includes(`--conditions=${SOURCE_CONDITION}`)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --conditions=${SOURCE_CONDITION}`.trim();
}
