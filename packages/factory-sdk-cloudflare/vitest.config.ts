import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'factory-sdk-cloudflare', include: ['test/**/*.test.ts'] },
});
