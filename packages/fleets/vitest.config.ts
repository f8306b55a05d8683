import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@software-factory/fleets', include: ['test/**/*.test.ts'] },
});
