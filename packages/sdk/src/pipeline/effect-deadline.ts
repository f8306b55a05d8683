import type { WorkItemRecord } from '../record.ts';
import type { FactorySettings } from '../settings.ts';

/**
 * The share of an effect lease its performer leaves unused at the end. A request abandoned at the
 * performer's deadline may still be on the wire or at the vendor; by the time the lease has run out
 * and another performer may take the effects over, it has landed or died, so the newcomer's
 * check-then-write (is the comment there?) sees it.
 */
export const LEASE_SETTLE_SHARE = 0.25;

/** When the lease holder stops writing: `leaseUntil` less the settle share of the lease. */
export function effectDeadline(record: WorkItemRecord, settings: FactorySettings): number | undefined {
  if (record.leaseUntil === undefined) return undefined;
  return record.leaseUntil - settings.effectLease * LEASE_SETTLE_SHARE;
}

/**
 * A signal aborted at `deadline` (by the runtime's timer: the clock may be a test's), and `stop` to call
 * once the effects are over, so no timer outlives them.
 */
export function deadlineSignal(
  deadline: number | undefined,
  now: number,
): { signal: AbortSignal | undefined; stop(): void } {
  if (deadline === undefined) return { signal: undefined, stop() {} };
  const controller = new AbortController();
  const reason = () => new DOMException('the effect lease is ending', 'TimeoutError');
  if (deadline <= now) {
    controller.abort(reason());
    return { signal: controller.signal, stop() {} };
  }
  const timer = setTimeout(() => controller.abort(reason()), deadline - now);
  // Node: a deadline never keeps the process alive by itself (Workers' timers are numbers).
  (timer as { unref?: () => void }).unref?.();
  return { signal: controller.signal, stop: () => clearTimeout(timer) };
}
