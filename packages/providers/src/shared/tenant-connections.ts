import type { Connectable, ConnectionReport, Factory } from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';

/**
 * The tenant's connection reports, asked at most once per `ttlMs`: the app asks before every webhook,
 * and three API calls per delivery would be slow and burn rate limits.
 */
export function cachedConnections(
  factory: Factory,
  roles: readonly [Connectable, ConnectionReport['role']][],
  ttlMs: number,
): () => Promise<ConnectionReport[]> {
  let cached: { at: number; reports: Promise<ConnectionReport[]> } | undefined;
  return () => {
    const now = factory.ports.clock.now();
    if (!cached || now - cached.at >= ttlMs) {
      cached = { at: now, reports: Promise.all(roles.map(([port, role]) => report(port, role))) };
    }
    return cached.reports;
  };
}

async function report(port: Connectable, role: ConnectionReport['role']): Promise<ConnectionReport> {
  try {
    return { provider: port.provider, role, status: await port.checkConnection() };
  } catch (error) {
    return { provider: port.provider, role, status: { state: 'error', message: errorMessage(error) } };
  }
}
