import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@software-factory/providers', include: ['test/**/*.test.ts'] },
});
