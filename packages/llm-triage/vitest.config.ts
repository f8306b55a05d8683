import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@software-factory/llm-triage', include: ['test/**/*.test.ts'] },
});
