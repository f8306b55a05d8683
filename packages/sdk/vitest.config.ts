import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@software-factory/sdk', include: ['test/**/*.test.ts'] },
});
