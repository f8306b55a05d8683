import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { workspaceSources } from '../../../scripts/workspace-sources.ts';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

export interface BundleOptions {
  /** The module exporting `http` and `schedule`; the example wiring by default. */
  entry?: string;
  /** Where `handler.mjs` goes; `bundle/` next to template.yaml by default. */
  outdir?: string;
}

/**
 * Bundles a Lambda entry and everything it imports into one minified ES module. The AWS SDK stays out:
 * the store and the secrets sign their own requests, and a handler that gives the store an SDK client
 * gets the SDK the Lambda runtime provides.
 */
export async function bundle(options: BundleOptions = {}): Promise<string> {
  const entry = resolve(options.entry ?? resolve(packageRoot, 'examples/handler.ts'));
  if (!existsSync(entry)) throw new Error(`entry ${entry} does not exist`);
  const outfile = resolve(options.outdir ?? resolve(packageRoot, 'bundle'), 'handler.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    external: ['@aws-sdk/*'],
    // Stack traces in the function's logs keep their class and function names.
    keepNames: true,
    sourcemap: true,
    // This script runs in a clone only: our package names resolve to their sources, never to a stale build.
    alias: workspaceSources(),
    // Bundled CommonJS dependencies still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __factoryRequire } from 'node:module'; const require = __factoryRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

const usage = 'usage: npm run bundle -w @software-factory/aws -- [--entry <handler.ts>] [--outdir <dir>]';

async function main(argv: string[]): Promise<void> {
  let values: { entry?: string; outdir?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        entry: { type: 'string' },
        outdir: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const outfile = await bundle({
    ...(values.entry ? { entry: values.entry } : {}),
    ...(values.outdir ? { outdir: values.outdir } : {}),
  });
  console.log(`bundled ${outfile}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`bundle failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
