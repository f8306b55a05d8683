import type { Clock, Connectable, ConnectionReport, Factory } from '@software-factory/sdk';
import { errorMessage } from './provider-errors.ts';

/**
 * How long an answer with a provider not connected is reused. Short, so that a provider signed in to a
 * moment ago takes work within seconds; but reused all the same, because anyone may ask (`GET /healthz`
 * asks every tenant), and asking again on every request would let a stranger spend the tenant's API
 * rate limits, the connected providers' included, by sending requests.
 */
export const REFUSED_CONNECTIONS_TTL_MS = 5_000;

/** Each role port's connection, checked together; a check that throws is reported as an error. */
export function checkConnections(
  connectables: readonly (readonly [Connectable, ConnectionReport['role']])[],
): Promise<ConnectionReport[]> {
  return Promise.all(
    connectables.map(async ([port, role]): Promise<ConnectionReport> => {
      try {
        return { provider: port.provider, role, status: await port.checkConnection() };
      } catch (error) {
        return { provider: port.provider, role, status: { state: 'error', message: errorMessage(error) } };
      }
    }),
  );
}

/**
 * `check`, asked at most once per `ttlMs` while every provider is connected, and at most once per
 * `REFUSED_CONNECTIONS_TTL_MS` (or `ttlMs`, when shorter) while one is not: the app asks before every
 * webhook, and three API calls per delivery would be slow and burn rate limits. Callers that come while
 * a check runs share it; a check that fails is not kept.
 */
export function reusedConnections(
  check: () => Promise<ConnectionReport[]>,
  clock: Clock,
  ttlMs: number,
): () => Promise<ConnectionReport[]> {
  let cached: { at: number; ttl: number; reports: Promise<ConnectionReport[]> } | undefined;
  return async () => {
    const now = clock.now();
    if (cached && now - cached.at < cached.ttl) return cached.reports;
    const entry = { at: now, ttl: ttlMs, reports: check() };
    cached = entry;
    try {
      const reports = await entry.reports;
      if (!reports.every((report) => report.status.state === 'connected'))
        entry.ttl = Math.min(ttlMs, REFUSED_CONNECTIONS_TTL_MS);
      return reports;
    } catch (error) {
      if (cached === entry) cached = undefined;
      throw error;
    }
  };
}

/** A tenant's role ports' connections, reused as `reusedConnections` says, on the factory's clock. */
export function cachedConnections(
  factory: Factory,
  roles: readonly [Connectable, ConnectionReport['role']][],
  ttlMs: number,
): () => Promise<ConnectionReport[]> {
  return reusedConnections(() => checkConnections(roles), factory.ports.clock, ttlMs);
}
