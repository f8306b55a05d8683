import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { BENCH_SECRETS, BENCH_TENANT } from './bench-tenant.ts';
import { startFactory, writeFactoryConfig } from './factory-process.ts';
import { VendorServer } from './loopback/vendor-server.ts';
import { linearIssueCreated, type SignedRequest } from './vendor-payloads.ts';

export interface ThroughputFigures {
  scenario: string;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  non2xx: number;
  errors: number;
}

export const HEALTH_SCENARIO = 'GET /healthz';
export const DUPLICATE_SCENARIO = 'POST linear, duplicate delivery';
export const DISTINCT_SCENARIO = 'POST linear, distinct deliveries (pre-signed)';

/** Seconds of unrecorded load before each measured run. */
const WARMUP_SECONDS = 1;
/**
 * Distinct deliveries signed per second of load, as a multiple of the `/healthz` rate measured just
 * before. A delivery does strictly more work than `/healthz` on the same server, so the pool cannot run
 * out; if it ever does, the run stops rather than measure repeats as distinct deliveries.
 */
const POOL_HEADROOM = 1.25;

/**
 * `factory start` as a separate process on 127.0.0.1 (SQLite state, direct providers pointed at a
 * loopback vendor server), driven by autocannon over real sockets: health checks, a repeated delivery
 * (answered as a duplicate) and a stream of distinct signed deliveries of items not yet ready.
 *
 * The distinct deliveries are signed before their run starts: on 2 cores, a load generator that signs
 * (HMAC, JSON) while it sends takes CPU from the server it measures.
 */
export async function measureThroughput(options: {
  seconds: number;
  connections: number;
}): Promise<ThroughputFigures[]> {
  const dir = await mkdtemp(join(tmpdir(), 'factory-bench-http-'));
  const vendor = await new VendorServer().start();
  const factory = await startFactory(
    writeFactoryConfig({ dir, vendorUrl: vendor.url, maxInFlight: 20, agent: ['true'] }),
  );
  try {
    const figures: ThroughputFigures[] = [];
    const health = await drive(HEALTH_SCENARIO, { url: `${factory.url}/healthz` }, options);
    figures.push(health);
    const repeated = signedLinear(1);
    figures.push(
      await drive(
        DUPLICATE_SCENARIO,
        {
          url: `${factory.url}${repeated.path}`,
          method: 'POST',
          headers: repeated.headers,
          body: repeated.body,
        },
        options,
      ),
    );
    const poolSize = Math.ceil(health.requestsPerSecond * (WARMUP_SECONDS + options.seconds) * POOL_HEADROOM);
    const pool = Array.from({ length: Math.max(poolSize, 1000) }, (_, index) => signedLinear(1000 + index));
    let next = 0;
    figures.push(
      await drive(
        DISTINCT_SCENARIO,
        {
          url: `${factory.url}${repeated.path}`,
          requests: [
            {
              method: 'POST',
              setupRequest: (request: Record<string, unknown>) => {
                // Past the pool's end the last delivery repeats; the check below refuses such a run.
                const delivery = pool[Math.min(next, pool.length - 1)] as SignedRequest;
                next += 1;
                return { ...request, method: 'POST', headers: delivery.headers, body: delivery.body };
              },
            },
          ],
        },
        options,
      ),
    );
    if (next > pool.length)
      throw new Error(
        `the ${pool.length} pre-signed deliveries ran out (${next} sent): the figure would count repeats as distinct`,
      );
    return figures;
  } finally {
    await factory.kill('SIGTERM');
    await vendor.stop();
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

async function drive(
  scenario: string,
  request: Record<string, unknown>,
  options: { seconds: number; connections: number },
): Promise<ThroughputFigures> {
  // A short warm-up run first, so the JIT and the SQLite page cache are what the measured run sees.
  await autocannon({ ...request, connections: options.connections, duration: WARMUP_SECONDS });
  const result = await autocannon({
    ...request,
    connections: options.connections,
    duration: options.seconds,
  });
  return {
    scenario,
    requestsPerSecond: result.requests.average,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
