import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'factory-sdk', include: ['test/**/*.test.ts'] },
});
