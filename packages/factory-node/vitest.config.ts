import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'factory-node', include: ['test/**/*.test.ts'] },
});
