import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { BENCH_SECRETS, BENCH_TENANT } from './bench-tenant.ts';
import { writeFactoryConfig } from './factory-process.ts';
import { FactoryReplicas } from './factory-replicas.ts';
import { type FactoryStoreKind, openFactoryStore } from './factory-store.ts';
import { VendorServer } from './loopback/vendor-server.ts';
import { linearIssueCreated, type SignedRequest } from './vendor-payloads.ts';

export interface ThroughputFigures {
  scenario: string;
  /** Requests answered over the scenario's measured time, all slices together. */
  requestsPerSecond: number;
  /** The worst slice's percentiles: a busy moment shows rather than averages away. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  non2xx: number;
  errors: number;
}

export const HEALTH_SCENARIO = 'GET /healthz';
export const DUPLICATE_SCENARIO = 'POST linear, duplicate delivery';
export const DISTINCT_SCENARIO = 'POST linear, distinct deliveries (pre-signed)';

/** Each scenario runs this many 1-second slices, the scenarios taking turns. */
const SLICE_SECONDS = 1;
/**
 * Distinct deliveries signed for a slice, as a multiple of what `/healthz` answered in the slice just
 * before. A delivery does strictly more work than `/healthz` on the same server, so the pool does not run
 * out; if it ever does, the run stops rather than measure repeats as distinct deliveries.
 */
const POOL_HEADROOM = 1.5;

interface Slice {
  requests: number;
  seconds: number;
  latencyMs: ThroughputFigures['latencyMs'];
  non2xx: number;
  errors: number;
}

/**
 * `factory start` as a separate process on 127.0.0.1 (SQLite state, direct providers pointed at a
 * loopback vendor server) — or several replicas on one Postgres behind the round-robin proxy — driven by
 * autocannon over real sockets: health checks, a repeated delivery
 * (answered as a duplicate) and a stream of distinct signed deliveries of items not yet ready.
 *
 * The scenarios take turns in 1-second slices (`seconds` of each), after one unrecorded turn, so a
 * change in what else the machine runs weighs on all three alike and their ratios hold. The distinct
 * deliveries are signed between slices: on 2 cores, a load generator that signs (HMAC, JSON) while it
 * sends takes CPU from the server it measures.
 */
export async function measureThroughput(options: {
  seconds: number;
  connections: number;
  /** Default sqlite: one `factory start`. */
  store?: FactoryStoreKind;
  /** More than one (Postgres): that many replicas behind the round-robin proxy, which is what is driven. */
  replicas?: number;
}): Promise<ThroughputFigures[]> {
  const dir = await mkdtemp(join(tmpdir(), 'factory-bench-http-'));
  const vendor = await new VendorServer().start();
  let store: Awaited<ReturnType<typeof openFactoryStore>> | undefined;
  let replicas: FactoryReplicas | undefined;
  try {
    store = await openFactoryStore(options.store ?? 'sqlite', dir);
    const config = writeFactoryConfig({
      dir,
      vendorUrl: vendor.url,
      maxInFlight: 20,
      agent: ['true'],
      stateStore: store.config,
    });
    // Connections to the replicas are kept, as a production balancer keeps them: the figure is not
    // one of opening a TCP connection per request.
    replicas = new FactoryReplicas(config, store.env, options.replicas ?? 1, { keepAliveProxy: true });
    await replicas.start();
    const factory = { url: replicas.url };
    const repeated = signedLinear(1);
    const health = { url: `${factory.url}/healthz` };
    const duplicate = {
      url: `${factory.url}${repeated.path}`,
      method: 'POST',
      headers: repeated.headers,
      body: repeated.body,
    };
    let next = 1000;
    const slices: Record<string, Slice[]> = {
      [HEALTH_SCENARIO]: [],
      [DUPLICATE_SCENARIO]: [],
      [DISTINCT_SCENARIO]: [],
    };
    // Turn 0 warms the JIT and SQLite's page cache and is not recorded.
    for (let turn = 0; turn <= options.seconds; turn++) {
      const record = (scenario: string, slice: Slice) => {
        if (turn > 0) slices[scenario]?.push(slice);
      };
      const healthSlice = await run(health, options.connections);
      record(HEALTH_SCENARIO, healthSlice);
      record(DUPLICATE_SCENARIO, await run(duplicate, options.connections));
      const size = Math.max(200, Math.ceil((healthSlice.requests / healthSlice.seconds) * POOL_HEADROOM));
      const pool = Array.from({ length: size }, () => signedLinear(next++));
      let sent = 0;
      const distinct = {
        url: `${factory.url}${repeated.path}`,
        requests: [
          {
            method: 'POST',
            setupRequest: (request: Record<string, unknown>) => {
              // Past the pool's end the last delivery repeats; the check below refuses such a slice.
              const delivery = pool[Math.min(sent, pool.length - 1)] as SignedRequest;
              sent += 1;
              return { ...request, method: 'POST', headers: delivery.headers, body: delivery.body };
            },
          },
        ],
      };
      record(DISTINCT_SCENARIO, await run(distinct, options.connections));
      if (sent > pool.length)
        throw new Error(
          `the ${pool.length} pre-signed deliveries of a slice ran out (${sent} sent): the figure would count repeats as distinct`,
        );
    }
    return Object.entries(slices).map(([scenario, runs]) => combine(scenario, runs));
  } finally {
    await replicas?.stop('SIGTERM');
    await vendor.stop();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Linear's `Issue` `create` for an item in Backlog: signed now, so it stays inside Linear's 1-minute window. */
function signedLinear(n: number): SignedRequest {
  return linearIssueCreated(n, {
    tenant: BENCH_TENANT,
    secret: BENCH_SECRETS.linear,
    now: Date.now(),
    backlog: true,
  });
}

async function run(request: Record<string, unknown>, connections: number): Promise<Slice> {
  const result = await autocannon({ ...request, connections, duration: SLICE_SECONDS });
  return {
    requests: result.requests.total,
    seconds: result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** One scenario's slices as one figure: the rate over all of them, the worst slice's latencies. */
export function combine(scenario: string, slices: readonly Slice[]): ThroughputFigures {
  const sum = (pick: (slice: Slice) => number) => slices.reduce((total, slice) => total + pick(slice), 0);
  const worst = (pick: (slice: Slice) => number) => Math.max(0, ...slices.map(pick));
  const seconds = sum((slice) => slice.seconds);
  return {
    scenario,
    requestsPerSecond: seconds > 0 ? sum((slice) => slice.requests) / seconds : 0,
    latencyMs: {
      p50: worst((slice) => slice.latencyMs.p50),
      p90: worst((slice) => slice.latencyMs.p90),
      p99: worst((slice) => slice.latencyMs.p99),
      max: worst((slice) => slice.latencyMs.max),
    },
    requests: sum((slice) => slice.requests),
    non2xx: sum((slice) => slice.non2xx),
    errors: sum((slice) => slice.errors),
  };
}
