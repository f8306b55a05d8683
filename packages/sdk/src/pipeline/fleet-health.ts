import { afterFailure, afterSuccess, gate } from './breaker.ts';
import type { HandlerContext } from './context.ts';
import { changeSchedule, currentSchedule } from './schedule-store.ts';

/**
 * The breaker's verdict for a spawn about to run: the dispatch decided it with the breaker it read (and
 * took the half-open probe in the same write), so this asks the same copy again; only a spawn retried
 * after the breaker opened writes anything here (it may become the probe).
 */
export async function spawnAllowed(
  context: HandlerContext,
  holder: string,
): Promise<{ allowed: true; healthy: boolean } | { allowed: false; until: number }> {
  const now = context.clock.now();
  const cooldown = context.settings.breaker.cooldown;
  const verdict = gate((await currentSchedule(context)).value.breaker, holder, now, cooldown);
  if (!verdict.allowed || !verdict.claim) return verdict;
  let claimed = false;
  await changeSchedule(context, (schedule) => {
    const again = gate(schedule.breaker, holder, now, cooldown);
    claimed = again.allowed;
    return again.allowed && again.claim ? { ...schedule, breaker: again.claim } : schedule;
  });
  if (!claimed) return { allowed: false, until: now + cooldown };
  context.logger.warn('fleet circuit half-open: probing', { tenant: context.tenant, probe: holder });
  return { allowed: true, healthy: false };
}

/** A spawn worked: the fleet is healthy again. */
export async function recordFleetSuccess(context: HandlerContext): Promise<void> {
  const before = (await currentSchedule(context)).value.breaker;
  await changeSchedule(context, (schedule) => {
    const breaker = afterSuccess(schedule.breaker);
    return breaker === schedule.breaker ? schedule : { ...schedule, breaker };
  });
  if (before.state !== 'closed') context.logger.info('fleet circuit closed', { tenant: context.tenant });
}

/** A spawn failed: one more consecutive failure; open at the threshold. */
export async function recordFleetFailure(context: HandlerContext, error: string): Promise<void> {
  const now = context.clock.now();
  const after = await changeSchedule(context, (schedule) => ({
    ...schedule,
    breaker: afterFailure(schedule.breaker, error, now, context.settings.breaker),
  }));
  logIfOpened(context, after.breaker, now, error);
}

export function logIfOpened(
  context: HandlerContext,
  breaker: { state: string; openedAt?: number; failures: number; retryAt?: number },
  now: number,
  error: string,
): void {
  if (breaker.state !== 'open' || breaker.openedAt !== now) return;
  context.logger.warn('fleet circuit open', {
    tenant: context.tenant,
    failures: breaker.failures,
    retryAt: new Date(breaker.retryAt ?? now).toISOString(),
    error,
  });
}
