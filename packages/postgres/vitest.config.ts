import { defineProject } from 'vitest/config';
import { sourceResolvingProject } from '../../vitest.project.ts';

export default defineProject(
  sourceResolvingProject({
    test: { name: '@software-factory/postgres', include: ['test/**/*.test.ts'] },
  }),
);
