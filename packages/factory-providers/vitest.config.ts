import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'factory-providers', include: ['test/**/*.test.ts'] },
});
