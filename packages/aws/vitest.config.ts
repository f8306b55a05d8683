import { defineProject } from 'vitest/config';
import { sourceResolvingProject } from '../../vitest.project.ts';

export default defineProject(
  sourceResolvingProject({
    test: {
      name: '@software-factory/aws',
      include: ['test/**/*.test.ts'],
      // Hundreds of requests to dynalite on a machine shared with other suites: room to finish, not a speed check.
      testTimeout: 60_000,
      hookTimeout: 30_000,
    },
  }),
);
