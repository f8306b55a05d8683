import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@software-factory/relayfile', include: ['test/**/*.test.ts'] },
});
