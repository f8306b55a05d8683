import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { wranglerSourceArgs } from '../../../../scripts/workspace-sources.ts';
import { ROOT } from './deploy-scenario.ts';

const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');

/**
 * The Worker `wrangler deploy` would upload for the artifacts in `out` (`factory deploy cloudflare --out`),
 * bundled by `wrangler deploy --dry-run` into `<project>/<outdir>`; returns the bundle's path. `metafile`:
 * where esbuild's account of every input's bytes in the bundle is written too.
 */
export async function bundleWorker(
  project: string,
  out: string,
  outdir: string,
  options: { metafile?: string } = {},
): Promise<string> {
  const target = path.join(project, outdir);
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(
      WRANGLER,
      [
        'deploy',
        '--dry-run',
        '--config',
        path.join(out, 'wrangler.jsonc'),
        '--outdir',
        target,
        ...(options.metafile ? ['--metafile', options.metafile] : []),
        // Our packages' sources, as the CLI itself bundles them in a clone.
        ...wranglerSourceArgs(),
      ],
      {
        cwd: project,
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('close', (code) => resolve({ code, output }));
  });
  const bundle = existsSync(target) ? readdirSync(target).find((file) => /\.m?js$/.test(file)) : undefined;
  if (result.code !== 0 || !bundle) throw new Error(`wrangler deploy --dry-run failed:\n${result.output}`);
  return path.join(target, bundle);
}
