import { applyEvent } from '../machine/apply.ts';
import { BREAKER_POOL } from './breaker.ts';
import type { HandlerContext } from './context.ts';
import { TENANT_POOL } from './context.ts';
import { refillQueue } from './queue-refill.ts';
import type { ResultBuilder } from './result.ts';
import { heldIn } from './schedule.ts';
import { currentSchedule, repairEntries } from './schedule-store.ts';

const DRAIN_BATCH = 100;

/**
 * Starts queued items in arrival order while slots are free, reading the queue and the slots from the
 * schedule this call already holds: a full tenant pool or an empty queue costs no read. Skips items
 * whose retry time has not come and items whose route pool is full; stops when the tenant's pool or the
 * breaker is. An entry whose record is no longer queued there is repaired on the way. A line that has
 * items left out gets its head refilled from the records first, when it runs short.
 */
export async function drain(context: HandlerContext, result: ResultBuilder): Promise<void> {
  const limit = context.settings.limits.maxInFlight;
  const now = context.clock.now();
  await refillQueue(context);
  const entries = (await currentSchedule(context)).value.queue
    .filter((entry) => entry.retryAt === undefined || entry.retryAt <= now)
    .slice(0, DRAIN_BATCH);
  for (const entry of entries) {
    if (heldIn((await currentSchedule(context)).value, TENANT_POOL) >= limit) break;
    const applied = await applyEvent(
      context,
      entry.workItemId,
      { type: 'slot-freed', enqueuedAt: entry.enqueuedAt },
      result,
    );
    if (applied.wrote) continue;
    const record = applied.record;
    if (record?.status !== 'queued' || record.queuedAt !== entry.enqueuedAt) {
      await repairEntries(context, entry.workItemId);
      continue;
    }
    const fullPool = applied.notes.fullPool;
    if (fullPool === TENANT_POOL || fullPool?.startsWith(BREAKER_POOL)) break;
  }
}
