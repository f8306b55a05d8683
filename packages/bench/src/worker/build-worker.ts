import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { workspaceSources } from '../../../../scripts/workspace-sources.ts';

/** Bundles the bench Worker as one ES module for workerd; returns its path. */
export async function buildBenchWorker(outfile: string): Promise<string> {
  await build({
    entryPoints: [fileURLToPath(new URL('./bench-worker.ts', import.meta.url))],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*'],
    alias: { ...workspaceSources(), vitest: fileURLToPath(new URL('./vitest-stub.ts', import.meta.url)) },
    logLevel: 'warning',
  });
  return outfile;
}
