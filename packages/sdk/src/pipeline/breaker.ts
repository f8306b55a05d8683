import type { StateStore } from '../ports/state-store.ts';
import type { FactorySettings } from '../settings.ts';
import { type BreakerState, CLOSED_BREAKER, SCHEDULE_DOCUMENT, type Schedule } from './schedule.ts';

export type { BreakerState };

/** What a dispatch reports as its full pool while the breaker holds spawns back. */
export const BREAKER_POOL = 'the fleet circuit';

/** The tenant's breaker as stored (in the schedule), for status views. */
export async function readBreaker(
  store: StateStore,
  tenant: string,
): Promise<{ value: BreakerState; version: number }> {
  const document = await store.getDocument(tenant, SCHEDULE_DOCUMENT);
  return document
    ? { value: (document.value as Schedule).breaker ?? CLOSED_BREAKER, version: document.version }
    : { value: CLOSED_BREAKER, version: 0 };
}

export type BreakerGate =
  | {
      allowed: true;
      /** False when the breaker has seen failures: a spawn that works must write it back to healthy. */
      healthy: boolean;
      /** The breaker to store: this dispatch becomes the half-open probe. */
      claim?: BreakerState;
    }
  | { allowed: false; until: number };

/**
 * Whether the dispatch named `holder` may use the fleet now. Closed: yes. Open: no until `retryAt`; then
 * the caller becomes the one half-open probe (`claim`, to be stored before it spawns). Half-open: only
 * the probe (a probe silent for a whole cool-down is replaced).
 */
export function gate(breaker: BreakerState, holder: string, now: number, cooldown: number): BreakerGate {
  if (breaker.state === 'closed') return { allowed: true, healthy: breaker.failures === 0 };
  if (breaker.state === 'half-open' && breaker.probe === holder) return { allowed: true, healthy: false };
  const probeStale = breaker.state === 'half-open' && (breaker.probeAt ?? 0) + cooldown <= now;
  const due = breaker.state === 'open' && (breaker.retryAt ?? 0) <= now;
  if (!due && !probeStale)
    return { allowed: false, until: breaker.retryAt ?? (breaker.probeAt ?? now) + cooldown };
  return {
    allowed: true,
    healthy: false,
    claim: { ...breaker, state: 'half-open', probe: holder, probeAt: now },
  };
}

/** One more consecutive fleet failure; the breaker opens at the threshold (or at once while half-open). */
export function afterFailure(
  breaker: BreakerState,
  error: string,
  now: number,
  settings: FactorySettings['breaker'],
): BreakerState {
  const failures = breaker.failures + 1;
  const reopen =
    breaker.state === 'half-open' || (breaker.state === 'closed' && failures >= settings.threshold);
  if (reopen)
    return { state: 'open', failures, openedAt: now, retryAt: now + settings.cooldown, lastError: error };
  return { ...breaker, failures, lastError: error };
}

/** A spawn worked: the breaker is closed and forgets its failures. */
export function afterSuccess(breaker: BreakerState): BreakerState {
  return breaker.state === 'closed' && breaker.failures === 0 ? breaker : CLOSED_BREAKER;
}
