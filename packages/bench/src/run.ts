// `npm run bench`: what one event costs on each path and store, against the floor (verify + parse)
// and Probot's webhook path; loopback HTTP throughput of `factory start`; bundle sizes and the Lambda
// cold import. Prints tables and writes JSON to bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SqliteStateStore } from '@software-factory/cli';
import { InMemoryStateStore } from '@software-factory/sdk';
import { BENCH_SECRETS, BENCH_TENANT } from './bench-tenant.ts';
import { type BundleFigures, lambdaBundle, workerBundle } from './bundle-sizes.ts';
import { PATHS, type PathName } from './event-cycle.ts';
import { perCall, type Scheme, verifyAndParse } from './floor.ts';
import { measureThroughput, type ThroughputFigures } from './http-throughput.ts';
import { machine } from './machine.ts';
import { measurePaths, type PathFigures } from './measure-paths.ts';
import { probotReceiver } from './probot-peer.ts';
import type { BenchTarget } from './targets/bench-target.ts';
import { durableObjectTarget } from './targets/durable-object-target.ts';
import { dynamoTarget } from './targets/dynamo-target.ts';
import { inProcessTarget } from './targets/in-process-target.ts';
import {
  githubPullRequestReady,
  linearIssueCreated,
  type SignedRequest,
  slackThreadReply,
} from './vendor-payloads.ts';

const STORES = ['memory', 'sqlite', 'dynamodb', 'durable-objects'] as const;
type StoreName = (typeof STORES)[number];

const usage = `usage: npm run bench -- [--cycles <n>] [--warmup <n>] [--stores ${STORES.join(',')}] [--no-http] [--no-bundles] [--only paths] [--out <dir>]`;

interface Options {
  cycles: number;
  warmup: number;
  stores: StoreName[];
  http: boolean;
  bundles: boolean;
  /** `paths`: only the per-path figures (CPU, store calls), printed and not written to the results. */
  only?: 'paths';
  out: string;
}

export function parseBenchArgs(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      cycles: { type: 'string', default: '150' },
      warmup: { type: 'string', default: '30' },
      stores: { type: 'string', default: STORES.join(',') },
      'no-http': { type: 'boolean', default: false },
      'no-bundles': { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const count = (name: string, text: string, min: number) => {
    if (!/^\d+$/.test(text) || Number(text) < min)
      throw new Error(`--${name} must be a whole number of at least ${min}, got "${text}"`);
    return Number(text);
  };
  const stores = values.stores.split(',').map((store) => store.trim());
  const unknown = stores.filter((store) => !(STORES as readonly string[]).includes(store));
  if (unknown.length > 0 || stores.length === 0)
    throw new Error(`--stores takes a comma-separated list of ${STORES.join(', ')}; got "${values.stores}"`);
  if (values.only !== undefined && values.only !== 'paths')
    throw new Error(`--only takes "paths" (the per-path figures alone); got "${values.only}"`);
  const onlyPaths = values.only === 'paths';
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return {
    cycles: count('cycles', values.cycles, 1),
    warmup: count('warmup', values.warmup, 0),
    stores: stores as StoreName[],
    http: !values['no-http'] && !onlyPaths,
    bundles: !values['no-bundles'] && !onlyPaths,
    ...(onlyPaths ? { only: 'paths' as const } : {}),
    out: resolve(values.out ?? join(root, 'bench', 'results')),
  };
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

async function main(argv: string[]): Promise<void> {
  const options = parseBenchArgs(argv);
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'factory-bench-'));
  const host = machine();
  console.log(
    `factory bench — ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}, ${host.platform}, load average ${host.loadAverage}`,
  );
  console.log(
    `${options.warmup} warm-up + ${options.cycles} measured cycles per store (each cycle: every path once)\n`,
  );

  const floor = {} as Record<PathName, { cpuMicros: number; wallMs: number }>;
  // One unrecorded pass first: the first path measured must not pay for warming up node:crypto.
  for (const path of [...PATHS, ...PATHS]) {
    const { request, scheme, secret } = floorRequest(path);
    floor[path] = await perCall(() => verifyAndParse(request, scheme, secret), { warmup: 500, calls: 5000 });
  }

  const stores: Record<string, { cpuOf: string; paths: Record<PathName, PathFigures> }> = {};
  try {
    for (const store of options.stores) {
      const target = await openTarget(store, dir);
      try {
        process.stdout.write(`measuring ${target.store}… `);
        const paths = await measurePaths(target, { warmup: options.warmup, cycles: options.cycles });
        stores[target.store] = { cpuOf: target.cpuOf, paths };
        console.log('done');
      } finally {
        await target.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const pr = floorRequest('PR complete').request;
  const probot = probotReceiver(BENCH_SECRETS.github);
  const peer = await perCall(() => probot(pr), { warmup: 500, calls: 3000 });

  let http: ThroughputFigures[] = [];
  if (options.http) {
    process.stdout.write('measuring factory start over loopback HTTP… ');
    http = await measureThroughput({ seconds: 5, connections: 10 });
    console.log('done');
  }
  const bundles: BundleFigures[] = [];
  if (options.bundles) {
    process.stdout.write('building bundles… ');
    bundles.push(await workerBundle(), await lambdaBundle(7));
    console.log('done');
  }

  printTables({ floor, stores, peer, http, bundles });
  if (options.only === 'paths') {
    printStoreCalls(stores);
    console.log('\n--only paths: nothing written to the results');
    return;
  }
  const result = {
    at: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: host,
    options: { cycles: options.cycles, warmup: options.warmup },
    floor,
    stores,
    peer: {
      name: '@octokit/webhooks verifyAndReceive (Probot webhook path), pull_request',
      cpuMicros: peer.cpuMicros,
      wallMs: peer.wallMs,
      oursInMemoryCpuMicros: stores['in-memory']?.paths['PR complete'].cpuMicros,
    },
    http,
    bundles,
  };
  mkdirSync(options.out, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(join(options.out, 'latest.json'), json);
  writeFileSync(join(options.out, `${result.at.slice(0, 19).replace(/:/g, '-')}.json`), json);
  console.log(`\nwritten to ${join(options.out, 'latest.json')} (${result.durationSeconds} s)`);
}

function printTables(data: {
  floor: Record<PathName, { cpuMicros: number }>;
  stores: Record<string, { cpuOf: string; paths: Record<PathName, PathFigures> }>;
  peer: { cpuMicros: number };
  http: ThroughputFigures[];
  bundles: BundleFigures[];
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
  console.log();
  printTable(rows);
  console.log('\nfloor (HMAC verify + JSON.parse of the same payload, node:crypto), CPU µs:');
  printTable([
    ['path', 'floor CPU µs'],
    ...PATHS.map((path) => [path, data.floor[path].cpuMicros.toFixed(1)]),
  ]);
  const ours = data.stores['in-memory']?.paths['PR complete'].cpuMicros;
  console.log(
    `\npeer: @octokit/webhooks verify + receive of the same pull_request: ${data.peer.cpuMicros.toFixed(0)} µs CPU` +
      (ours === undefined
        ? ''
        : `; ours (PR complete, in-memory) / theirs = ${(ours / data.peer.cpuMicros).toFixed(1)}`),
  );
  if (data.http.length > 0) {
    console.log('\nfactory start on 127.0.0.1 (SQLite), autocannon, 10 connections:');
    printTable([
      ['scenario', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors'],
      ...data.http.map((row) => [
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
  }
  if (data.bundles.length > 0) {
    console.log('\nbundles:');
    printTable([
      ['bundle', 'raw KiB', 'gzip KiB', 'cold import ms (median)', 'node + import ms', 'bare node ms'],
      ...data.bundles.map((row) => [
        row.bundle,
        (row.rawBytes / 1024).toFixed(1),
        (row.gzipBytes / 1024).toFixed(1),
        row.coldImportMs === undefined ? '' : `${row.coldImportMs.toFixed(0)} (${row.runs} runs)`,
        row.coldProcessMs === undefined ? '' : row.coldProcessMs.toFixed(0),
        row.emptyProcessMs === undefined ? '' : row.emptyProcessMs.toFixed(0),
      ]),
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

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
      if (error instanceof Error && !error.message.startsWith('--')) console.error(usage);
      process.exit(1);
    },
  );
}
