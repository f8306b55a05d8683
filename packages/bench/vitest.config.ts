import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@software-factory/bench', include: ['test/**/*.test.ts'] },
});
