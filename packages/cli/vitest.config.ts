import { defineProject } from 'vitest/config';
import { sourceResolvingProject } from '../../vitest.project.ts';

export default defineProject(
  sourceResolvingProject({
    // Many tests run `factory` as a child process (node start-up, git, a SQLite file): give them room on a
    // loaded machine. Nothing asserts speed.
    test: {
      name: '@software-factory/cli',
      include: ['test/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 30_000,
    },
  }),
);
