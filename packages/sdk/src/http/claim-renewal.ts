import type { Clock } from '../ports/clock.ts';
import type { StateStore } from '../ports/state-store.ts';

/**
 * The longest a handling keeps its claim by renewing it. A handling stuck longer is let go: its claim
 * runs out and the sender's retry is handled, rather than one hung request holding the delivery forever.
 */
export const CLAIM_RENEWAL_LIMIT_MS = 10 * 60_000;

/**
 * Renews the claim on a delivery's keys every third of its length while the delivery is handled, so
 * that the claim can be short: a process that dies mid-handling stops renewing, and the claim is gone
 * before the sender's next retry. Most handlings end before the first renewal, costing one timer. Once
 * the store no longer holds a key as a claim (kept by the change, forgotten) renewing ends; a failed
 * renewal is tried again at the next one. Returns what stops it.
 */
export function renewWhileHandled(
  store: StateStore,
  claim: { tenant: string; keys: readonly string[]; lengthMs: number },
  clock: Clock,
): () => void {
  if (claim.keys.length === 0) return () => {};
  const every = Math.max(1, Math.floor(claim.lengthMs / 3));
  let renewalsLeft = Math.floor(CLAIM_RENEWAL_LIMIT_MS / every);
  const stop = () => clearInterval(timer);
  const timer = setInterval(() => {
    if (renewalsLeft-- <= 0) return stop();
    const now = clock.now();
    // A delivery's keys are claimed, kept and forgotten together: one no longer a claim ends them all.
    for (const key of claim.keys)
      store.renewEvent(claim.tenant, key, { now, expiresAt: now + claim.lengthMs }).then(
        (renewed) => renewed || stop(),
        () => {},
      );
  }, every);
  // A handling's timer must not keep a process that is shutting down alive on its own.
  (timer as { unref?: () => void }).unref?.();
  return stop;
}
