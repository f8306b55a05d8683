import { defineProject } from 'vitest/config';

// Tests of the repository as a whole, run on what `npm test` built and packed, never on src/.
export default defineProject({
  test: { name: 'packaging', include: ['**/*.test.ts'], testTimeout: 120_000, hookTimeout: 300_000 },
});
