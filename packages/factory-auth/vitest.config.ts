import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'factory-auth', include: ['test/**/*.test.ts'] },
});
