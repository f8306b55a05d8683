import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@software-factory/auth', include: ['test/**/*.test.ts'] },
});
