import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// Tests of the repository as a whole: what `npm test` built and packed, and what every package agrees on.
export default defineProject({
  test: {
    name: 'repository',
    include: ['**/*.test.ts'],
    setupFiles: [fileURLToPath(new URL('../scripts/loopback-only.ts', import.meta.url))],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
