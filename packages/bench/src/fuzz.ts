// `npm run fuzz`: every ingress route against random and nearly valid requests (fast-check). Prints one
// line per route and the smallest failing request of each failure; exits 1 if there is any.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fuzzRoutes } from './fuzz/fuzz-routes.ts';

const usage = 'usage: npm run fuzz -- [--runs <cases per route, default 10000>] [--seed <n>]';

export function parseFuzzArgs(argv: string[]): { runs: number; seed: number } {
  const { values } = parseArgs({
    args: argv,
    options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  if (!/^\d+$/.test(values.runs) || Number(values.runs) < 1)
    throw new Error(`--runs must be a whole number of at least 1, got "${values.runs}"`);
  if (values.seed !== undefined && !/^-?\d+$/.test(values.seed))
    throw new Error(`--seed must be an integer, got "${values.seed}"`);
  return {
    runs: Number(values.runs),
    seed: values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed),
  };
}

async function main(argv: string[]): Promise<number> {
  const options = parseFuzzArgs(argv);
  console.log(`fuzzing every ingress route: ${options.runs} cases each, seed ${options.seed}`);
  const started = Date.now();
  const reports = await fuzzRoutes(options);
  for (const report of reports)
    console.log(
      `${report.failure ? 'FAIL' : 'ok  '}  ${report.route}  (${report.runs} cases: ${Object.entries(
        report.statuses,
      )
        .map(([outcome, count]) => `${outcome} ×${count}`)
        .join(', ')})`,
    );
  const failures = reports.filter((report) => report.failure);
  for (const { route, failure } of failures) {
    console.log(`\n${route}\n  problem: ${failure?.problem}\n  request: ${failure?.request}`);
    console.log(`  replay: npm run fuzz -- --seed ${failure?.seed} (path ${failure?.path})`);
  }
  console.log(
    `\n${failures.length} failing route(s) of ${reports.length}, ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return failures.length > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`fuzz failed: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
      process.exit(2);
    },
  );
}
