import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'factory-bench', include: ['test/**/*.test.ts'] },
});
