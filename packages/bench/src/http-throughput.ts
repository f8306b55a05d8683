import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { BENCH_SECRETS, BENCH_TENANT } from './bench-tenant.ts';
import { startFactory, writeFactoryConfig } from './factory-process.ts';
import { VendorServer } from './loopback/vendor-server.ts';
import { linearIssueCreated } from './vendor-payloads.ts';

export interface ThroughputFigures {
  scenario: string;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  non2xx: number;
  errors: number;
}

/**
 * `factory start` as a separate process on 127.0.0.1 (SQLite state, direct providers pointed at a
 * loopback vendor server), driven by autocannon over real sockets: health checks, a repeated delivery
 * (answered as a duplicate) and a stream of distinct signed deliveries of items not yet ready.
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
    figures.push(await drive('GET /healthz', { url: `${factory.url}/healthz` }, options));
    const repeated = linearIssueCreated(1, {
      tenant: BENCH_TENANT,
      secret: BENCH_SECRETS.linear,
      now: Date.now(),
      backlog: true,
    });
    figures.push(
      await drive(
        'POST linear, duplicate delivery',
        {
          url: `${factory.url}${repeated.path}`,
          method: 'POST',
          headers: repeated.headers,
          body: repeated.body,
        },
        options,
      ),
    );
    let next = 1000;
    figures.push(
      await drive(
        'POST linear, distinct deliveries',
        {
          url: `${factory.url}${repeated.path}`,
          requests: [
            {
              method: 'POST',
              setupRequest: (request: Record<string, unknown>) => {
                next += 1;
                const delivery = linearIssueCreated(next, {
                  tenant: BENCH_TENANT,
                  secret: BENCH_SECRETS.linear,
                  now: Date.now(),
                  backlog: true,
                });
                return { ...request, method: 'POST', headers: delivery.headers, body: delivery.body };
              },
            },
          ],
        },
        options,
      ),
    );
    return figures;
  } finally {
    await factory.kill('SIGTERM');
    await vendor.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function drive(
  scenario: string,
  request: Record<string, unknown>,
  options: { seconds: number; connections: number },
): Promise<ThroughputFigures> {
  // A short warm-up run first, so the JIT and the SQLite page cache are what the measured run sees.
  await autocannon({ ...request, connections: options.connections, duration: 1 });
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
