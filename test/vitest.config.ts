import { defineProject } from 'vitest/config';
import { LOOPBACK_ONLY } from '../vitest.project.ts';

// Tests of the repository as a whole: what `npm test` built and packed, and what every package agrees on.
export default defineProject({
  test: {
    name: 'repository',
    include: ['**/*.test.ts'],
    setupFiles: [LOOPBACK_ONLY],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
