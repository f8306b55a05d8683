import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'test'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    // The root project's globalSetup runs once for the whole run, whichever projects it runs: it fails
    // the run if a process a test started outlives it (see scripts/test-process-guard.ts).
    globalSetup: ['./scripts/test-process-guard.ts'],
  },
});
