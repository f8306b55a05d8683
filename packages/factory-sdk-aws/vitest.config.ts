import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'factory-sdk-aws', include: ['test/**/*.test.ts'] },
});
