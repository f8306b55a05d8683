// Builds the Worker exactly as `wrangler deploy` would upload it (without uploading), then prints its
// raw and gzip sizes and checks that no Node-only module reached it. `npm run bundle` runs it; the
// last line of output is JSON for the benchmark.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** Workers' compressed size limits: the free plan, and what we allow ourselves to keep room to spare. */
const FREE_PLAN_LIMIT_BYTES = 3 * 1024 * 1024;
const BUDGET_BYTES = 1024 * 1024;

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const outDir = join(packageDir, 'bundle');
const wrangler = join(packageDir, '..', '..', 'node_modules', '.bin', 'wrangler');

rmSync(outDir, { recursive: true, force: true });
const build = spawnSync(wrangler, ['deploy', '--dry-run', '--outdir', outDir, '--config', 'wrangler.jsonc'], {
  cwd: packageDir,
  encoding: 'utf8',
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
});
if (build.status !== 0) {
  process.stderr.write(build.stdout + build.stderr);
  process.exit(build.status ?? 1);
}

const modules = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((file) =>
  /\.(m?js|wasm)$/.test(file),
);
let raw = 0;
let gzip = 0;
const nodeImports: string[] = [];
for (const file of modules) {
  const bytes = readFileSync(join(outDir, file));
  raw += bytes.byteLength;
  gzip += gzipSync(bytes).byteLength;
  const found = bytes.toString('utf8').match(/(?:from\s*|import\(\s*|require\(\s*)["']node:[a-z_/]+["']/g);
  if (found) nodeImports.push(...found.map((match) => `${file}: ${match}`));
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(`bundle: ${relative(process.cwd(), outDir)} (${modules.length} module(s))`);
console.log(`raw ${kib(raw)}, gzip ${kib(gzip)} (free-plan limit ${kib(FREE_PLAN_LIMIT_BYTES)} gzip)`);
const problems = [
  ...nodeImports.map((line) => `Node-only import in the bundle: ${line}`),
  ...(gzip > BUDGET_BYTES ? [`gzip size ${kib(gzip)} is over the ${kib(BUDGET_BYTES)} budget`] : []),
];
for (const problem of problems) console.error(problem);
console.log(
  JSON.stringify({
    bundle: '@software-factory/cloudflare',
    rawBytes: raw,
    gzipBytes: gzip,
    modules: modules.length,
  }),
);
process.exit(problems.length > 0 ? 1 : 0);
