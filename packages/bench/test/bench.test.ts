import { InMemoryStateStore } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { BENCH_SECRETS, BENCH_TENANT } from '../src/bench-tenant.ts';
import type { BundleFigures } from '../src/bundle-sizes.ts';
import { CountingStateStore } from '../src/counting-state-store.ts';
import { PATHS, type PathName } from '../src/event-cycle.ts';
import { verifyAndParse } from '../src/floor.ts';
import {
  combine,
  DISTINCT_SCENARIO,
  HEALTH_SCENARIO,
  type ThroughputFigures,
} from '../src/http-throughput.ts';
import { measurePaths, type PathFigures } from '../src/measure-paths.ts';
import { probotReceiver } from '../src/probot-peer.ts';
import { parseBenchArgs } from '../src/run.ts';
import { bundleGoals } from '../src/targets/bundle-goals.ts';
import { checkGoals, distinctDeliveriesThroughput } from '../src/targets/goals.ts';
import { inProcessTarget } from '../src/targets/in-process-target.ts';
import { pathGoals } from '../src/targets/path-goals.ts';
import { githubPullRequestReady, linearIssueCreated } from '../src/vendor-payloads.ts';

describe('the bench paths (a few cycles on the in-memory store)', () => {
  it('drives every path through the HTTP app and its real signed sources, and counts the store calls', async () => {
    const target = await inProcessTarget({ store: 'in-memory', open: () => new InMemoryStateStore() });
    const { paths: figures, beside } = await measurePaths(target, { warmup: 1, cycles: 3 });
    expect(beside).toBeUndefined();
    expect(Object.keys(figures)).toEqual([...PATHS]);
    for (const path of PATHS) {
      expect(figures[path].events).toBe(3);
      expect(figures[path].storeCallsTotal).toBeGreaterThan(0);
    }
    // A repeated delivery is answered by one conditional write of the de-duplication record, before interpreting.
    expect(figures['duplicate delivery'].storeCalls).toEqual({ rememberEvent: 1 });
    // The core reads the record with the schedule once, writes both in one commit, and records the
    // effects as done in one more.
    expect(figures['new item dispatched'].storeCalls).toMatchObject({ load: 1, commit: 2 });
    for (const path of PATHS) {
      expect(figures[path].storeCalls.rememberEvent, path).toBe(1);
      expect(figures[path].storeCallsTotal, path).toBeLessThanOrEqual(4);
    }
    await target.close();
  });

  it('times a receiver beside the paths after every cycle, warm-up included, on a request built before its clock', async () => {
    const target = await inProcessTarget({ store: 'in-memory', open: () => new InMemoryStateStore() });
    const built: number[] = [];
    const received: string[] = [];
    const receive = probotReceiver(BENCH_SECRETS.github);
    const { beside } = await measurePaths(target, {
      warmup: 2,
      cycles: 3,
      beside: {
        request: (cycle) => {
          built.push(cycle);
          return githubPullRequestReady(2 * cycle + 1, {
            tenant: BENCH_TENANT,
            secret: BENCH_SECRETS.github,
          });
        },
        receive: async (request) => {
          received.push(request.body);
          await receive(request);
        },
      },
    });
    expect(built).toEqual([0, 1, 2, 3, 4]);
    expect(received).toHaveLength(5);
    expect(beside?.calls).toBe(3);
    expect(beside?.cpuMicros).toBeGreaterThan(0);
    await target.close();
  });

  it('stops when a path answers something other than what it measures', async () => {
    const target = await inProcessTarget({ store: 'in-memory', open: () => new InMemoryStateStore() });
    const lying = {
      ...target,
      deliver: async (request: Parameters<typeof target.deliver>[0]) => {
        const sample = await target.deliver(request);
        return { ...sample, answer: { status: 200, body: '{"status":"ignored"}' } };
      },
    };
    await expect(measurePaths(lying, { warmup: 0, cycles: 1 })).rejects.toThrow(
      '"new item dispatched" answered 200',
    );
  });
});

describe('the floor and the peer', () => {
  it('the floor really verifies: a body changed after signing is refused', () => {
    const request = linearIssueCreated(1, {
      tenant: BENCH_TENANT,
      secret: BENCH_SECRETS.linear,
      now: Date.now(),
    });
    expect(verifyAndParse(request, 'linear', BENCH_SECRETS.linear)).toMatchObject({ type: 'Issue' });
    expect(() =>
      verifyAndParse({ ...request, body: `${request.body} ` }, 'linear', BENCH_SECRETS.linear),
    ).toThrow('does not verify');
  });

  it('the peer verifies and dispatches the same pull_request, and refuses a bad signature', async () => {
    const receive = probotReceiver(BENCH_SECRETS.github);
    const request = githubPullRequestReady(1, { tenant: BENCH_TENANT, secret: BENCH_SECRETS.github });
    await expect(receive(request)).resolves.toBeUndefined();
    await expect(receive({ ...request, body: `${request.body} ` })).rejects.toThrow();
  });
});

describe('counting store calls', () => {
  it('counts every method by name, including ones the port gains later, and starts afresh on take()', async () => {
    const counting = new CountingStateStore(new InMemoryStateStore());
    await counting.store.ping();
    await counting.store.getRecord('t', 'a');
    await counting.store.getRecord('t', 'b');
    expect(counting.take()).toEqual({ getRecord: 2, ping: 1 });
    expect(counting.take()).toEqual({});
  });
});

describe('bench arguments', () => {
  it('refuses what it cannot run, naming the flag', () => {
    expect(() => parseBenchArgs(['--cycles', '0'])).toThrow(
      '--cycles must be a whole number of at least 1, got "0"',
    );
    expect(() => parseBenchArgs(['--warmup', '-1'])).toThrow('--warmup');
    expect(() => parseBenchArgs(['--stores', 'memory,redis'])).toThrow(
      '--stores takes a comma-separated list',
    );
    expect(() => parseBenchArgs(['--fast'])).toThrow(/fast/);
    expect(() => parseBenchArgs(['--tracing-cycles', '0'])).toThrow(
      '--tracing-cycles must be a whole number of at least 1, got "0"',
    );
    expect(parseBenchArgs(['--stores', 'memory', '--no-http'])).toMatchObject({
      stores: ['memory'],
      http: false,
    });
    expect(parseBenchArgs(['--only', 'paths'])).toMatchObject({
      only: ['paths'],
      http: false,
      bundles: false,
      tracing: false,
    });
  });

  it('--only runs the named parts and nothing else', () => {
    expect(parseBenchArgs(['--only', 'http'])).toMatchObject({
      paths: false,
      http: true,
      bundles: false,
      only: ['http'],
    });
    expect(parseBenchArgs(['--only', 'bundles,paths'])).toMatchObject({
      paths: true,
      http: false,
      bundles: true,
      tracing: false,
      only: ['paths', 'bundles'],
    });
    expect(parseBenchArgs(['--only', 'tracing', '--tracing-cycles', '50'])).toMatchObject({
      paths: false,
      http: false,
      bundles: false,
      tracing: true,
      tracingCycles: 50,
    });
    expect(parseBenchArgs([])).toMatchObject({
      paths: true,
      http: true,
      bundles: true,
      tracing: true,
      tracingCycles: 1000,
      outGiven: false,
    });
    expect(parseBenchArgs(['--only', 'http', '--out', '/tmp/x'])).toMatchObject({ outGiven: true });
    expect(parseBenchArgs([]).only).toBeUndefined();
    expect(() => parseBenchArgs(['--only', 'http,soak'])).toThrow(
      '--only takes a comma-separated list of paths, http, bundles, tracing; got "http,soak"',
    );
  });
});

describe('throughput slices', () => {
  it('make one figure: the rate over all slices, the worst slice’s latencies, every refusal counted', () => {
    const slice = (requests: number, seconds: number, p99: number, non2xx = 0) => ({
      requests,
      seconds,
      latencyMs: { p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 2 },
      non2xx,
      errors: 0,
    });
    expect(combine('s', [slice(1000, 1, 10), slice(3000, 1, 40, 2), slice(2000, 2, 20)])).toEqual({
      scenario: 's',
      requestsPerSecond: 1500,
      latencyMs: { p50: 10, p90: 20, p99: 40, max: 80 },
      requests: 6000,
      non2xx: 2,
      errors: 0,
    });
    expect(combine('none', []).requestsPerSecond).toBe(0);
  });
});

describe('the goals, as ratios within one run', () => {
  const row = (scenario: string, requestsPerSecond: number, non2xx = 0): ThroughputFigures => ({
    scenario,
    requestsPerSecond,
    latencyMs: { p50: 1, p90: 2, p99: 40, max: 90 },
    requests: requestsPerSecond * 5,
    non2xx,
    errors: 0,
  });

  it('distinct deliveries meet the goal at a quarter of /healthz, and report their p99', () => {
    const met = distinctDeliveriesThroughput([row(HEALTH_SCENARIO, 8000), row(DISTINCT_SCENARIO, 2000)]);
    expect(met).toMatchObject({ met: true, bound: '≥ 25%, every answer 2xx' });
    expect(met?.measured).toBe('25% (2000 of 8000 req/s, p99 40 ms)');
    const short = distinctDeliveriesThroughput([row(HEALTH_SCENARIO, 8000), row(DISTINCT_SCENARIO, 155)]);
    expect(short).toMatchObject({ met: false, measured: '1.9% (155 of 8000 req/s, p99 40 ms)' });
  });

  it('a run in which a delivery was refused does not meet it, whatever its rate', () => {
    const refused = distinctDeliveriesThroughput([
      row(HEALTH_SCENARIO, 8000),
      row(DISTINCT_SCENARIO, 4000, 3),
    ]);
    expect(refused).toMatchObject({ met: false });
    expect(refused?.measured).toContain('3 non-2xx');
  });

  it('a run without the HTTP part checks nothing about it', () => {
    expect(checkGoals({ stores: {}, peer: undefined, http: [], bundles: [] })).toEqual([]);
  });
});

describe('the bundle goals (issue 23)', () => {
  const kib = (n: number) => n * 1024;
  const cold = (processMs: number, bareProcessMs: number) => ({
    runs: 7,
    importMs: processMs - bareProcessMs - 5,
    processMs,
    bareProcessMs,
    overBareMs: processMs - bareProcessMs,
  });
  const worker = (gzipKiB: number): BundleFigures => ({
    bundle: 'Worker: w',
    kind: 'worker',
    rawBytes: kib(gzipKiB * 3),
    gzipBytes: kib(gzipKiB),
  });
  const lambda = (gzipKiB: number, coldStart = cold(140, 50)): BundleFigures => ({
    bundle: 'Lambda: l',
    kind: 'lambda',
    rawBytes: kib(gzipKiB * 3),
    gzipBytes: kib(gzipKiB),
    coldStart,
  });

  it('a Worker meets its goal at 100 KiB gzip and not a byte over', () => {
    expect(bundleGoals([worker(100)])).toEqual([
      { goal: 'Worker: w: gzip size', bound: '≤ 100 KiB', measured: '100.0 KiB', met: true },
    ]);
    expect(bundleGoals([{ ...worker(100), gzipBytes: kib(100) + 1 }])[0]?.met).toBe(false);
  });

  it('a Lambda meets its goals at 150 KiB gzip and a cold start 100 ms over a bare node', () => {
    expect(bundleGoals([lambda(150, cold(150, 50))]).map((goal) => goal.met)).toEqual([true, true]);
    const [size, start] = bundleGoals([lambda(151, cold(151, 50))]);
    expect(size).toMatchObject({ met: false, measured: '151.0 KiB' });
    expect(start).toMatchObject({ met: false, measured: '101 ms (151 − 50, median of 7)' });
  });

  it('a Lambda whose cold start was not measured does not meet the goal', () => {
    const { coldStart: _, ...unmeasured } = lambda(100);
    expect(bundleGoals([unmeasured])[1]).toMatchObject({ met: false, measured: 'not measured' });
  });

  it('a run without bundles checks nothing about them', () => {
    expect(checkGoals({ stores: {}, peer: undefined, http: [], bundles: [] })).toEqual([]);
  });
});

describe('the per-event goals (issue 23)', () => {
  const figures = (storeCallsTotal: number, cpuMicros: number): PathFigures => ({
    cpuMicros,
    wallMedianMs: 0.3,
    wallP95Ms: 0.4,
    storeCalls: {},
    storeCallsTotal,
    events: 3,
  });
  const store = (calls: number, cpu = 100) => ({
    paths: Object.fromEntries(
      PATHS.map((path) => [path, figures(path === 'duplicate delivery' ? 1 : calls, cpu)]),
    ) as Record<PathName, PathFigures>,
  });

  it('round trips are met at four per path (one for a duplicate) on the store that needs the most', () => {
    const checks = pathGoals({ 'in-memory': store(4), DynamoDB: store(4) }, undefined);
    expect(checks.map((check) => check.met)).toEqual(PATHS.map(() => true));
    const over = pathGoals({ 'in-memory': store(4), DynamoDB: store(5) }, undefined);
    expect(over.find((check) => check.goal === 'reply: store round trips')).toMatchObject({
      met: false,
      measured: '5 (DynamoDB, the most of 2)',
    });
  });

  it('CPU is met at 3× the peer, and at 2× on PR complete', () => {
    const atThree = pathGoals({ 'in-memory': store(4, 300) }, { cpuMicros: 100 });
    const cpu = atThree.filter((check) => check.goal.includes('CPU'));
    expect(cpu.map((check) => [check.goal, check.met])).toEqual([
      ['new item dispatched: in-memory CPU per event / Probot peer', true],
      ['PR complete: in-memory CPU per event / Probot peer', false],
      ['clarification asked: in-memory CPU per event / Probot peer', true],
      ['reply: in-memory CPU per event / Probot peer', true],
    ]);
    expect(cpu[1]?.measured).toBe('3.0× (300 of 100 µs)');
  });
});
