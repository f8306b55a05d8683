import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { median } from './stats.ts';

export interface BundleFigures {
  bundle: string;
  rawBytes: number;
  gzipBytes: number;
  /** Lambda only: a fresh `node` importing the bundle (median of `runs`). */
  coldImportMs?: number;
  coldProcessMs?: number;
  emptyProcessMs?: number;
  runs?: number;
}

const require = createRequire(import.meta.url);
const packageDir = (name: string) => join(dirname(require.resolve(name)), '..');
const binDir = join(packageDir('@software-factory/sdk'), '..', '..', 'node_modules', '.bin');

/** The Worker as `wrangler deploy` would upload it (`--dry-run`), built into a folder of ours. */
export async function workerBundle(): Promise<BundleFigures> {
  const outDir = await mkdtemp(join(tmpdir(), 'factory-bench-worker-bundle-'));
  try {
    const cloudflare = packageDir('@software-factory/cloudflare');
    const build = spawnSync(
      join(binDir, 'wrangler'),
      ['deploy', '--dry-run', '--outdir', outDir, '--config', join(cloudflare, 'wrangler.jsonc')],
      {
        cwd: cloudflare,
        encoding: 'utf8',
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: 'false',
          CI: 'true',
          // Our package names resolve to their sources, as the Lambda's bundle script does: never a stale
          // build (wrangler's own conditions follow).
          WRANGLER_BUILD_CONDITIONS: '@software-factory/source,workerd,worker,browser',
        },
      },
    );
    if (build.status !== 0)
      throw new Error(`wrangler deploy --dry-run failed:\n${build.stdout}${build.stderr}`);
    const modules = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((file) =>
      /\.(m?js|wasm)$/.test(file),
    );
    let rawBytes = 0;
    let gzipBytes = 0;
    for (const file of modules) {
      const bytes = readFileSync(join(outDir, file));
      rawBytes += bytes.byteLength;
      gzipBytes += gzipSync(bytes).byteLength;
    }
    return { bundle: 'Worker (@software-factory/cloudflare example)', rawBytes, gzipBytes };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * The Lambda handler bundled by the AWS package's own script into a folder of ours, its size, and its
 * cold import: a fresh `node` importing it, as a new Lambda instance does, `runs` times.
 */
export async function lambdaBundle(runs: number): Promise<BundleFigures> {
  const outDir = await mkdtemp(join(tmpdir(), 'factory-bench-lambda-bundle-'));
  try {
    execFileSync(
      process.execPath,
      [join(packageDir('@software-factory/aws'), 'scripts', 'bundle.ts'), '--outdir', outDir],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const file = join(outDir, 'handler.mjs');
    const bytes = readFileSync(file);
    const imports: number[] = [];
    const processes: number[] = [];
    const empties: number[] = [];
    for (let run = 0; run < runs; run++) {
      const timed = coldImport(pathToFileURL(file).href);
      imports.push(timed.importMs);
      processes.push(timed.processMs);
      empties.push(coldImport('data:text/javascript,export {}').processMs);
    }
    return {
      bundle: 'Lambda (@software-factory/aws example handler)',
      rawBytes: bytes.byteLength,
      gzipBytes: gzipSync(bytes).byteLength,
      coldImportMs: median(imports),
      coldProcessMs: median(processes),
      emptyProcessMs: median(empties),
      runs,
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

function coldImport(url: string): { importMs: number; processMs: number } {
  const script = `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now() - t));`;
  const started = performance.now();
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    // What the example handler reads at import: the table name (no request is sent at import).
    env: { PATH: process.env.PATH ?? '', FACTORY_TABLE: 'factory-bench', AWS_REGION: 'us-east-1' },
    encoding: 'utf8',
  });
  return { importMs: Number(output), processMs: performance.now() - started };
}
