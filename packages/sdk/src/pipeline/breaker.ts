import type { StateStore } from '../ports/state-store.ts';
import type { HandlerContext } from './context.ts';

export const BREAKER_DOCUMENT = 'fleet-breaker';
/** What a dispatch reports as its full pool while the breaker holds spawns back. */
export const BREAKER_POOL = 'the fleet circuit';

/** The fleet circuit breaker of one tenant, kept as a tenant document. */
export interface BreakerState {
  state: 'closed' | 'open' | 'half-open';
  /** Consecutive fleet failures (spawn errors, lost agents, timeouts). */
  failures: number;
  openedAt?: number;
  /** When a probe may try the fleet again. */
  retryAt?: number;
  /** The dispatch (slot holder) that probes the fleet while half-open, and since when. */
  probe?: string;
  probeAt?: number;
  lastError?: string;
}

const CLOSED: BreakerState = { state: 'closed', failures: 0 };

export async function readBreaker(
  store: StateStore,
  tenant: string,
): Promise<{ value: BreakerState; version: number }> {
  const document = await store.getDocument(tenant, BREAKER_DOCUMENT);
  return document
    ? { value: document.value as BreakerState, version: document.version }
    : { value: CLOSED, version: 0 };
}

type Versioned = { value: BreakerState; version: number };

/**
 * The breaker as this `handle` call last read or wrote it, so a dispatch reads it once: deciding the
 * dispatch and performing its spawn in the same call ask the same question. Every write is still a
 * compare-and-set on the stored version, so a stale copy only costs a re-read.
 */
const lastSeen = new WeakMap<HandlerContext, Versioned>();

async function read(context: HandlerContext, fresh = false): Promise<Versioned> {
  const known = fresh ? undefined : lastSeen.get(context);
  if (known) return known;
  const current = await readBreaker(context.store, context.tenant);
  lastSeen.set(context, current);
  return current;
}

async function write(context: HandlerContext, next: BreakerState, expectedVersion: number): Promise<boolean> {
  const stored = await context.store.putDocument(context.tenant, BREAKER_DOCUMENT, next, expectedVersion);
  if (stored) lastSeen.set(context, { value: next, version: expectedVersion + 1 });
  else lastSeen.delete(context);
  return stored;
}

async function update(
  context: HandlerContext,
  change: (current: BreakerState) => BreakerState | undefined,
): Promise<BreakerState> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const current = await read(context, attempt > 0);
    const next = change(current.value);
    if (!next) return current.value;
    if (await write(context, next, current.version)) return next;
  }
  return (await read(context, true)).value;
}

/**
 * Whether the dispatch named `holder` may use the fleet now. Closed: yes. Open: no until `retryAt`; then
 * the first caller becomes the one half-open probe. Half-open: only the probe (a probe silent for a
 * whole cool-down is replaced).
 */
export async function breakerAllows(
  context: HandlerContext,
  holder: string,
): Promise<{ allowed: true; healthy: boolean } | { allowed: false; until: number }> {
  const now = context.clock.now();
  const cooldown = context.settings.breaker.cooldown;
  const current = await read(context);
  const breaker = current.value;
  if (breaker.state === 'closed') return { allowed: true, healthy: breaker.failures === 0 };
  if (breaker.state === 'half-open' && breaker.probe === holder) return { allowed: true, healthy: false };
  const probeStale = breaker.state === 'half-open' && (breaker.probeAt ?? 0) + cooldown <= now;
  const due = breaker.state === 'open' && (breaker.retryAt ?? 0) <= now;
  if (!due && !probeStale)
    return { allowed: false, until: breaker.retryAt ?? (breaker.probeAt ?? now) + cooldown };
  const probe: BreakerState = { ...breaker, state: 'half-open', probe: holder, probeAt: now };
  if (await write(context, probe, current.version)) {
    context.logger.warn('fleet circuit half-open: probing', { tenant: context.tenant, probe: holder });
    return { allowed: true, healthy: false };
  }
  return { allowed: false, until: now + cooldown };
}

/** A spawn worked: the fleet is healthy again. */
export async function recordFleetSuccess(context: HandlerContext): Promise<void> {
  const before = (await read(context)).value;
  if (before.state === 'closed' && before.failures === 0) return;
  await update(context, (current) =>
    current.state === 'closed' && current.failures === 0 ? undefined : CLOSED,
  );
  if (before.state !== 'closed') context.logger.info('fleet circuit closed', { tenant: context.tenant });
}

/** A spawn failed, an agent was lost or timed out: one more consecutive failure; open at the threshold. */
export async function recordFleetFailure(context: HandlerContext, error: string): Promise<void> {
  const now = context.clock.now();
  const { threshold, cooldown } = context.settings.breaker;
  const next = await update(context, (current) => {
    const failures = current.failures + 1;
    const reopen = current.state === 'half-open' || (current.state === 'closed' && failures >= threshold);
    if (reopen) return { state: 'open', failures, openedAt: now, retryAt: now + cooldown, lastError: error };
    return { ...current, failures, lastError: error };
  });
  if (next.state === 'open' && next.openedAt === now) {
    context.logger.warn('fleet circuit open', {
      tenant: context.tenant,
      failures: next.failures,
      retryAt: new Date(next.retryAt ?? now).toISOString(),
      error,
    });
  }
}
