import { type Clock, type ConnectionReport, systemClock } from '@software-factory/sdk';
import * as z from 'zod/mini';

const cachedReports = z.object({
  checkedAt: z.number(),
  reports: z.array(
    z.object({
      provider: z.string(),
      role: z.enum(['intake', 'clarification', 'output', 'fleet', 'events']),
      status: z.looseObject({ state: z.literal('connected') }),
    }),
  ),
});

export interface KvConnectionCacheOptions {
  /** How long a good answer is reused, in milliseconds. Default five minutes; at least one second. */
  ttlMs?: number;
  clock?: Clock;
}

/**
 * Wraps a tenant's `connections()` so that every webhook does not ask each provider's API again.
 * Only an all-connected answer is cached: a refusal is always fresh, so a provider someone just
 * reconnected is used at once; a stale "connected" only means a provider call fails and the sender
 * retries. An unreadable or foreign cache entry counts as a miss.
 */
export function cacheConnections(
  kv: KVNamespace,
  tenant: string,
  check: () => Promise<ConnectionReport[]>,
  options: KvConnectionCacheOptions = {},
): () => Promise<ConnectionReport[]> {
  const ttlMs = options.ttlMs ?? 300_000;
  if (!Number.isFinite(ttlMs) || ttlMs < 1000) {
    throw new RangeError(`cacheConnections: ttlMs must be at least 1000, got ${ttlMs}`);
  }
  const clock = options.clock ?? systemClock;
  const key = `factory/v1/${encodeURIComponent(tenant)}/connections`;

  return async () => {
    const now = clock.now();
    const cached = cachedReports.safeParse(await kv.get(key, 'json').catch(() => undefined));
    if (cached.success && cached.data.checkedAt <= now && now - cached.data.checkedAt < ttlMs) {
      return cached.data.reports as ConnectionReport[];
    }
    const reports = await check();
    if (reports.every((report) => report.status.state === 'connected')) {
      await kv
        .put(key, JSON.stringify({ checkedAt: now, reports }), {
          // KV's own expiry only tidies up; freshness is decided by `checkedAt` above.
          expirationTtl: Math.max(60, Math.ceil((2 * ttlMs) / 1000)),
        })
        .catch(() => {});
    }
    return reports;
  };
}
