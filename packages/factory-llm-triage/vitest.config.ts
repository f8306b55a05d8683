import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'factory-llm-triage', include: ['test/**/*.test.ts'] },
});
