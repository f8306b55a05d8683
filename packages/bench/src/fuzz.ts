// `npm run fuzz`: every ingress route against random and nearly valid requests (fast-check). Prints one
// line per route (cases, answers by status, memory left behind) and the smallest failing request of each
// failure; exits 1 if there is any.
import { parseArgs } from 'node:util';
import { failedWithUsage, runWhenMain, wholeNumber } from './command-line.ts';
import { mib } from './fuzz/fuzz-memory.ts';
import { fuzzRoutes } from './fuzz/fuzz-routes.ts';
import { machine } from './machine.ts';

const usage =
  'usage: npm run fuzz -- [--runs <cases per route, default 10000>] [--seed <n>] [--route <part of a route name>]… [--verbose]';

export interface FuzzArgs {
  runs: number;
  seed: number;
  routes: string[];
  verbose: boolean;
}

export function parseFuzzArgs(argv: string[]): FuzzArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '10000' },
      seed: { type: 'string' },
      route: { type: 'string', multiple: true },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const runs = wholeNumber('runs', values.runs, 1);
  if (values.seed !== undefined && !/^-?\d+$/.test(values.seed))
    throw new Error(`--seed must be an integer, got "${values.seed}"`);
  return {
    runs,
    seed: values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed),
    routes: values.route ?? [],
    verbose: values.verbose,
  };
}

async function main(argv: string[]): Promise<number> {
  const options = parseFuzzArgs(argv);
  console.log(`fuzzing every ingress route: ${options.runs} cases each, seed ${options.seed}`);
  const host = machine();
  console.log(
    `machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}, ${host.platform}, load average ${host.loadAverage}`,
  );
  const started = Date.now();
  const rssBefore = process.memoryUsage().rss;
  const reports = await fuzzRoutes(options);
  for (const report of reports) {
    const { memory } = report;
    console.log(
      `${report.failure ? 'FAIL' : 'ok  '}  ${report.route}  (${report.runs} cases: ${Object.entries(
        report.byStatus,
      )
        .map(([status, count]) => `${status} ×${count}`)
        .join(
          ', ',
        )}; left behind: heap ${mib(memory.heapBytes)} + buffers ${mib(memory.externalBytes)} (bound ${mib(memory.boundBytes)}), rss ${mib(memory.rssBytes)}${memory.rssBoundBytes === undefined ? ' (no bound: the allocator keeps freed memory)' : ` (bound ${mib(memory.rssBoundBytes)})`}${memory.collected ? '' : ', no GC'})`,
    );
    if (options.verbose)
      for (const [tally, count] of Object.entries(report.statuses)) console.log(`        ${tally} ×${count}`);
  }
  const failures = reports.filter((report) => report.failure);
  for (const { route, failure } of failures) {
    console.log(`\n${route}\n  problem: ${failure?.problem}\n  request: ${failure?.request}`);
    console.log(
      `  replay: npm run fuzz -- --seed ${failure?.seed} --route '${route}' (path ${failure?.path}; the routes before it are skipped, so state may differ)`,
    );
  }
  const cases = reports.reduce((sum, report) => sum + report.runs, 0);
  console.log(
    `\n${failures.length} failing route(s) of ${reports.length}, ${cases} cases, ${Math.round((Date.now() - started) / 1000)} s, rss ${mib(rssBefore)} → ${mib(process.memoryUsage().rss)}`,
  );
  return failures.length > 0 ? 1 : 0;
}

runWhenMain(import.meta.url, main, failedWithUsage('fuzz', usage));
