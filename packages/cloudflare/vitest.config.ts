import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';
import { sourceResolvingProject } from '../../vitest.project.ts';

// Tests run inside workerd (the Workers runtime) with the bindings of the real wrangler.jsonc:
// a SQLite-backed Durable Object namespace and a KV namespace, simulated locally by Miniflare.
export default defineProject(
  sourceResolvingProject({
    plugins: [
      cloudflareTest({
        main: './test/worker/main.ts',
        wrangler: { configPath: './wrangler.jsonc' },
      }),
    ],
    test: { name: '@software-factory/cloudflare', include: ['test/**/*.test.ts'] },
  }),
);
