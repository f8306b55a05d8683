import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'factory-relayfile', include: ['test/**/*.test.ts'] },
});
