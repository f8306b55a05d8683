// `npm run bench`: what one event costs on each path and store, against the floor (verify + parse)
// and Probot's webhook path; loopback HTTP throughput of `factory start`; bundle sizes and the Lambda
// cold import. Prints tables and writes JSON to bench/results/. With Postgres among the stores, also
// three `factory start` replicas on one Postgres behind a round-robin proxy over loopback HTTP.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SqliteStateStore } from '@software-factory/cli';
import { errorMessage, InMemoryStateStore } from '@software-factory/sdk';
import { BENCH_SECRETS, BENCH_TENANT } from './bench-tenant.ts';
import { type BundleFigures, measureBundles } from './bundle-sizes.ts';
import { runWhenMain, wholeNumber } from './command-line.ts';
import { PATHS, type PathName } from './event-cycle.ts';
import { perCall, type Scheme, verifyAndParse } from './floor.ts';
import { measureThroughput, type ThroughputFigures } from './http-throughput.ts';
import { machine } from './machine.ts';
import { type Beside, type BesideFigures, measurePaths, type PathFigures } from './measure-paths.ts';
import { probotReceiver } from './probot-peer.ts';
import type { BenchTarget } from './targets/bench-target.ts';
import { durableObjectTarget } from './targets/durable-object-target.ts';
import { dynamoTarget } from './targets/dynamo-target.ts';
import { checkGoals, type GoalCheck } from './targets/goals.ts';
import { inProcessTarget } from './targets/in-process-target.ts';
import { postgresTarget } from './targets/postgres-target.ts';
import { measureTracing, type TracingFigures, tracingGoals, tracingRows } from './tracing-overhead.ts';
import {
  githubPullRequestReady,
  linearIssueCreated,
  type SignedRequest,
  slackThreadReply,
} from './vendor-payloads.ts';

/**
 * Calls the floor and the Probot peer make before they are measured. The in-memory store, whose CPU the
 * goals set against the peer's, warms up as long (this many cycles: as many events of every path), so
 * both are compared with their code compiled alike rather than ours half way through warming up.
 */
const PEER_WARMUP_CALLS = 500;
/**
 * Measured cycles of the in-memory store, whose CPU the goals set against the peer's: at least this
 * many. Its events cost a few hundred microseconds and a major collection some milliseconds, so over 150
 * cycles whether one fell inside moved a path's mean by half (two runs a minute apart: 2.4× and 5.1×
 * the peer); over 1,000 the collector's cost is spread over the events that made it.
 */
const IN_MEMORY_MIN_CYCLES = 1000;
/** Fresh processes per Lambda cold start, each beside a bare one. */
const COLD_START_RUNS = 7;
const STORES = ['memory', 'sqlite', 'dynamodb', 'durable-objects', 'postgres'] as const;
/** `factory start` replicas over one Postgres in the HTTP part, as issue 27's self-hoster runs them. */
const POSTGRES_REPLICAS = 3;
type StoreName = (typeof STORES)[number];
/**
 * The parts of a run: per-event paths on each store (with the floor and the peer), HTTP, bundles, and
 * what tracing costs per event (issue 26).
 */
const PARTS = ['paths', 'http', 'bundles', 'tracing'] as const;
type PartName = (typeof PARTS)[number];

const usage = `usage: npm run bench -- [--only ${PARTS.join(',')}] [--cycles <n>] [--warmup <n>] [--tracing-cycles <n>] [--stores ${STORES.join(',')}] [--no-http] [--no-bundles] [--out <dir>]`;

interface Options {
  cycles: number;
  warmup: number;
  stores: StoreName[];
  paths: boolean;
  http: boolean;
  bundles: boolean;
  tracing: boolean;
  /** Cycles per mode of the tracing part, after as many warm-up cycles as the in-memory paths get. */
  tracingCycles: number;
  /**
   * Set by `--only`: the parts run. A partial run writes nothing to the results unless `--out` names a
   * folder, and then `<time>.<parts>.json` there, never latest.json; with `paths`, it prints each path's
   * store calls by method.
   */
  only?: PartName[];
  /** Whether `--out` was given. */
  outGiven: boolean;
  out: string;
}

export function parseBenchArgs(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      cycles: { type: 'string', default: '150' },
      warmup: { type: 'string', default: '30' },
      'tracing-cycles': { type: 'string', default: '1000' },
      stores: { type: 'string', default: STORES.join(',') },
      'no-http': { type: 'boolean', default: false },
      'no-bundles': { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const stores = values.stores.split(',').map((store) => store.trim());
  const unknown = stores.filter((store) => !(STORES as readonly string[]).includes(store));
  if (unknown.length > 0 || stores.length === 0)
    throw new Error(`--stores takes a comma-separated list of ${STORES.join(', ')}; got "${values.stores}"`);
  const only = values.only === undefined ? undefined : partsOf(values.only);
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return {
    cycles: wholeNumber('cycles', values.cycles, 1),
    warmup: wholeNumber('warmup', values.warmup, 0),
    stores: stores as StoreName[],
    paths: only === undefined || only.includes('paths'),
    http: only === undefined ? !values['no-http'] : only.includes('http'),
    bundles: only === undefined ? !values['no-bundles'] : only.includes('bundles'),
    tracing: only === undefined || only.includes('tracing'),
    tracingCycles: wholeNumber('tracing-cycles', values['tracing-cycles'], 1),
    ...(only ? { only } : {}),
    out: resolve(values.out ?? join(root, 'bench', 'results')),
    outGiven: values.out !== undefined,
  };
}

function partsOf(text: string): PartName[] {
  const parts = text.split(',').map((part) => part.trim());
  const unknown = parts.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length > 0 || parts.length === 0)
    throw new Error(`--only takes a comma-separated list of ${PARTS.join(', ')}; got "${text}"`);
  return PARTS.filter((part) => parts.includes(part));
}

async function openTarget(store: StoreName, dir: string): Promise<BenchTarget> {
  switch (store) {
    case 'memory':
      return inProcessTarget({ store: 'in-memory', open: () => new InMemoryStateStore() });
    case 'sqlite': {
      let sqlite: SqliteStateStore | undefined;
      return inProcessTarget({
        store: 'SQLite (node:sqlite file)',
        open: () => {
          sqlite = new SqliteStateStore(join(dir, 'bench.sqlite'));
          return sqlite;
        },
        close: () => sqlite?.close(),
      });
    }
    case 'dynamodb':
      return dynamoTarget();
    case 'durable-objects':
      return durableObjectTarget();
    case 'postgres':
      return postgresTarget();
  }
}

/** The delivery each path starts from, for the floor: the same vendor, scheme and payload shape. */
function floorRequest(path: PathName): { request: SignedRequest; scheme: Scheme; secret: string } {
  const sign = { tenant: BENCH_TENANT, now: Date.now() };
  switch (path) {
    case 'PR complete':
      return {
        request: githubPullRequestReady(1, { ...sign, secret: BENCH_SECRETS.github }),
        scheme: 'github',
        secret: BENCH_SECRETS.github,
      };
    case 'reply':
      return {
        request: slackThreadReply(1, { ...sign, secret: BENCH_SECRETS.slack }),
        scheme: 'slack',
        secret: BENCH_SECRETS.slack,
      };
    default:
      return {
        request: linearIssueCreated(1, {
          ...sign,
          secret: BENCH_SECRETS.linear,
          vague: path === 'clarification asked',
        }),
        scheme: 'linear',
        secret: BENCH_SECRETS.linear,
      };
  }
}

/**
 * The Probot peer as the goals compare it: after every in-memory cycle, Probot's path receives the same
 * `pull_request` the cycle's PR complete did (its own delivery id), timed as our events are. Measured in
 * a loop of its own instead, it runs with its code and data alone in the caches and costs about 0.6 of
 * what it costs among other work, while every one of our events is measured among the cycle's others:
 * that ratio compared two different conditions. The loop figure is still reported (`peer.inLoop`).
 */
function probotBeside(): Beside {
  const probot = probotReceiver(BENCH_SECRETS.github);
  return {
    request: (cycle) =>
      githubPullRequestReady(2 * cycle + 1, { tenant: BENCH_TENANT, secret: BENCH_SECRETS.github }),
    receive: probot,
  };
}

async function main(argv: string[]): Promise<void> {
  const options = parseBenchArgs(argv);
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'factory-bench-'));
  const host = machine();
  console.log(
    `factory bench — ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}, ${host.platform}, load average ${host.loadAverage}`,
  );
  if (options.only) console.log(`only: ${options.only.join(', ')}`);
  const inMemoryWarmup = Math.max(options.warmup, PEER_WARMUP_CALLS);
  const inMemoryCycles = Math.max(options.cycles, IN_MEMORY_MIN_CYCLES);
  if (options.paths)
    console.log(
      `${options.warmup} warm-up + ${options.cycles} measured cycles per store (each cycle: every path once); in-memory: ${inMemoryWarmup} warm-up, as the peer, + ${inMemoryCycles} measured\n`,
    );

  const floor = {} as Record<PathName, { cpuMicros: number; wallMs: number }>;
  // One unrecorded pass first: the first path measured must not pay for warming up node:crypto.
  for (const path of options.paths ? [...PATHS, ...PATHS] : []) {
    const { request, scheme, secret } = floorRequest(path);
    floor[path] = await perCall(() => verifyAndParse(request, scheme, secret), {
      warmup: PEER_WARMUP_CALLS,
      calls: 5000,
    });
  }

  const stores: Record<string, { cpuOf: string; paths: Record<PathName, PathFigures> }> = {};
  let peerInCycle: BesideFigures | undefined;
  try {
    for (const store of options.paths ? options.stores : []) {
      const target = await openTarget(store, dir);
      try {
        process.stdout.write(`measuring ${target.store}… `);
        if (store === 'memory') {
          const measured = await measurePaths(target, {
            warmup: inMemoryWarmup,
            cycles: inMemoryCycles,
            beside: probotBeside(),
          });
          stores[target.store] = { cpuOf: target.cpuOf, paths: measured.paths };
          peerInCycle = measured.beside;
        } else {
          const { paths } = await measurePaths(target, { warmup: options.warmup, cycles: options.cycles });
          stores[target.store] = { cpuOf: target.cpuOf, paths };
        }
        console.log('done');
      } finally {
        await target.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  let peerInLoop: { cpuMicros: number; wallMs: number } | undefined;
  if (options.paths) {
    const pr = floorRequest('PR complete').request;
    const probot = probotReceiver(BENCH_SECRETS.github);
    peerInLoop = await perCall(() => probot(pr), { warmup: PEER_WARMUP_CALLS, calls: 3000 });
  }

  let http: ThroughputFigures[] = [];
  let httpReplicas: ThroughputFigures[] = [];
  if (options.http) {
    process.stdout.write('measuring factory start over loopback HTTP… ');
    http = await measureThroughput({ seconds: 5, connections: 10 });
    console.log('done');
    if (options.stores.includes('postgres')) {
      process.stdout.write(
        `measuring ${POSTGRES_REPLICAS} factory start replicas on Postgres behind a proxy over loopback HTTP… `,
      );
      httpReplicas = await measureThroughput({
        seconds: 5,
        connections: 10,
        store: 'postgres',
        replicas: POSTGRES_REPLICAS,
      });
      console.log('done');
    }
  }
  let bundles: BundleFigures[] = [];
  if (options.bundles) {
    process.stdout.write('building bundles… ');
    bundles = await measureBundles({ coldStartRuns: COLD_START_RUNS });
    console.log('done');
  }

  let tracing: TracingFigures | undefined;
  if (options.tracing) {
    process.stdout.write('measuring what tracing costs per event… ');
    tracing = await measureTracing({ cycles: options.tracingCycles, warmup: inMemoryWarmup });
    console.log('done');
  }

  const goals = [
    ...checkGoals({ stores, peer: peerInCycle, http, bundles }),
    ...(tracing ? tracingGoals(tracing) : []),
  ];
  printTables({ floor, stores, peerInCycle, peerInLoop, http, httpReplicas, bundles, goals, tracing });
  if (options.only?.includes('paths')) printStoreCalls(stores);
  if (options.only && !options.outGiven) {
    console.log(
      `\n--only ${options.only.join(',')}: nothing written to the results (give --out to keep them)`,
    );
    return;
  }
  const result = {
    at: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: host,
    options: {
      cycles: options.cycles,
      warmup: options.warmup,
      inMemoryWarmup,
      inMemoryCycles,
      ...(options.tracing ? { tracingCycles: options.tracingCycles } : {}),
      ...(options.only ? { only: options.only } : {}),
    },
    floor,
    stores,
    ...(peerInLoop
      ? {
          peer: {
            name: '@octokit/webhooks verifyAndReceive (Probot webhook path), pull_request',
            ...(peerInCycle
              ? {
                  measured: 'once after every in-memory cycle, each call timed as our events are',
                  cpuMicros: peerInCycle.cpuMicros,
                  wallMedianMs: peerInCycle.wallMedianMs,
                  calls: peerInCycle.calls,
                }
              : {}),
            inLoop: { cpuMicros: peerInLoop.cpuMicros, wallMs: peerInLoop.wallMs, calls: 3000 },
            oursInMemoryCpuMicros: stores['in-memory']?.paths['PR complete'].cpuMicros,
          },
        }
      : {}),
    http,
    ...(httpReplicas.length > 0
      ? { httpReplicas: { replicas: POSTGRES_REPLICAS, store: 'postgres', scenarios: httpReplicas } }
      : {}),
    bundles,
    ...(tracing ? { tracing } : {}),
    goals,
  };
  mkdirSync(options.out, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const stamp = result.at.slice(0, 19).replace(/:/g, '-');
  // A partial run must not stand in for a whole one: it keeps latest.json as it was.
  const written = options.only
    ? [`${stamp}.${options.only.join('-')}.json`]
    : ['latest.json', `${stamp}.json`];
  for (const name of written) writeFileSync(join(options.out, name), json);
  console.log(`\nwritten to ${join(options.out, written[0] as string)} (${result.durationSeconds} s)`);
}

function printTables(data: {
  floor: Record<PathName, { cpuMicros: number }>;
  stores: Record<string, { cpuOf: string; paths: Record<PathName, PathFigures> }>;
  peerInCycle: { cpuMicros: number } | undefined;
  peerInLoop: { cpuMicros: number } | undefined;
  http: ThroughputFigures[];
  httpReplicas: ThroughputFigures[];
  bundles: BundleFigures[];
  goals: GoalCheck[];
  tracing: TracingFigures | undefined;
}): void {
  const rows: string[][] = [
    [
      'path',
      'store',
      'CPU µs/event',
      '× floor',
      'wall p50 ms',
      'wall p95 ms',
      'store calls',
      'DynamoDB requests',
    ],
  ];
  for (const path of PATHS) {
    for (const [store, { paths }] of Object.entries(data.stores)) {
      const figures = paths[path];
      rows.push([
        path,
        store,
        figures.cpuMicros.toFixed(0),
        (figures.cpuMicros / data.floor[path].cpuMicros).toFixed(1),
        figures.wallMedianMs.toFixed(2),
        figures.wallP95Ms.toFixed(2),
        String(figures.storeCallsTotal),
        figures.wireRequestsTotal === undefined ? '' : String(figures.wireRequestsTotal),
      ]);
    }
  }
  if (data.peerInLoop) {
    console.log();
    printTable(rows);
    console.log('\nfloor (HMAC verify + JSON.parse of the same payload, node:crypto), CPU µs:');
    printTable([
      ['path', 'floor CPU µs'],
      ...PATHS.map((path) => [path, data.floor[path].cpuMicros.toFixed(1)]),
    ]);
    const ours = data.stores['in-memory']?.paths['PR complete'].cpuMicros;
    const against = (peer: { cpuMicros: number }) =>
      `${peer.cpuMicros.toFixed(0)} µs CPU` +
      (ours === undefined ? '' : ` (ours, PR complete in-memory, is ${(ours / peer.cpuMicros).toFixed(1)}×)`);
    console.log('\npeer: @octokit/webhooks verify + receive of the same pull_request:');
    if (data.peerInCycle)
      console.log(
        `  once after every in-memory cycle, timed as our events are: ${against(data.peerInCycle)}`,
      );
    console.log(`  in a loop of its own: ${against(data.peerInLoop)}`);
  }
  const httpTable = (rows: ThroughputFigures[]) =>
    printTable([
      ['scenario', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors'],
      ...rows.map((row) => [
        row.scenario,
        row.requestsPerSecond.toFixed(0),
        String(row.latencyMs.p50),
        String(row.latencyMs.p90),
        String(row.latencyMs.p99),
        String(row.latencyMs.max),
        String(row.non2xx),
        String(row.errors),
      ]),
    ]);
  if (data.http.length > 0) {
    console.log('\nfactory start on 127.0.0.1 (SQLite), autocannon, 10 connections:');
    httpTable(data.http);
  }
  if (data.httpReplicas.length > 0) {
    console.log(
      `\n${POSTGRES_REPLICAS} factory start replicas on one Postgres behind a round-robin proxy (in the bench's process), 127.0.0.1, autocannon, 10 connections:`,
    );
    httpTable(data.httpReplicas);
  }
  if (data.bundles.length > 0) {
    console.log(
      `\nbundles (Lambda cold starts: medians of ${COLD_START_RUNS} fresh node processes of each kind):`,
    );
    printTable([
      [
        'bundle',
        'raw KiB',
        'gzip KiB',
        'import ms',
        'node + import ms',
        'bare node ms',
        'over bare ms',
        'import + first answer ms',
      ],
      ...data.bundles.map((row) => {
        const cold = row.coldStart;
        return [
          row.bundle,
          (row.rawBytes / 1024).toFixed(1),
          (row.gzipBytes / 1024).toFixed(1),
          cold ? cold.importMs.toFixed(0) : '',
          cold ? cold.processMs.toFixed(0) : '',
          cold ? cold.bareProcessMs.toFixed(0) : '',
          cold ? cold.overBareMs.toFixed(0) : '',
          cold?.firstAnswerMs === undefined ? '' : cold.firstAnswerMs.toFixed(0),
        ];
      }),
    ]);
  }
  if (data.tracing) {
    console.log(
      `\ntracing, in-memory store, CPU µs per event (${data.tracing.cycles} cycles per mode, the modes taking turns; spans the SDK kept: ${data.tracing.spansKept}):`,
    );
    printTable(tracingRows(data.tracing));
  }
  if (data.goals.length > 0) {
    console.log('\ngoals (issues 23 and 26), as ratios or bounds within this run:');
    printTable([
      ['goal', 'bound', 'measured', 'met'],
      ...data.goals.map((goal) => [goal.goal, goal.bound, goal.measured, goal.met ? 'yes' : 'NO']),
    ]);
  }
}

/** Each path's store calls by method, so a change to the port or the core shows where the calls went. */
function printStoreCalls(stores: Record<string, { paths: Record<PathName, PathFigures> }>): void {
  console.log('\nstore calls per event, by method:');
  const rows = [['path', 'store', 'calls', 'by method']];
  for (const path of PATHS) {
    for (const [store, { paths }] of Object.entries(stores)) {
      const figures = paths[path];
      const methods = Object.entries(figures.storeCalls).map(([method, count]) => `${method} ${count}`);
      rows.push([path, store, String(figures.storeCallsTotal), methods.join(', ')]);
    }
  }
  printTable(rows);
}

function printTable(rows: string[][]): void {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  for (const [index, row] of rows.entries()) {
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
}

runWhenMain(
  import.meta.url,
  async (argv) => {
    await main(argv);
    return 0;
  },
  (error) => {
    console.error(`bench failed: ${errorMessage(error)}`);
    if (error instanceof Error && !error.message.startsWith('--')) console.error(usage);
    return 1;
  },
);
