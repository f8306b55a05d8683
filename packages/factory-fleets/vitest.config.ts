import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'factory-fleets', include: ['test/**/*.test.ts'] },
});
