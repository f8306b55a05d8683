import { applyEvent } from '../machine/apply.ts';
import { BREAKER_POOL } from './breaker.ts';
import type { HandlerContext } from './context.ts';
import { TENANT_POOL } from './context.ts';
import type { ResultBuilder } from './result.ts';

const DRAIN_BATCH = 100;

/**
 * Starts queued items in arrival order while slots are free. Skips items whose retry time has not come
 * and items whose route pool is full; stops when the tenant's pool is full. Stale entries (their item
 * moved on) are removed on the way.
 */
export async function drain(context: HandlerContext, result: ResultBuilder): Promise<void> {
  const { store, tenant } = context;
  const entries = await store.listQueue(tenant, DRAIN_BATCH);
  for (const entry of entries) {
    const record = await store.getRecord(tenant, entry.workItemId);
    if (record?.status !== 'queued' || record.queuedAt !== entry.enqueuedAt) {
      await store.dequeue(tenant, entry);
      continue;
    }
    if (record.retryAt !== undefined && record.retryAt > context.clock.now()) continue;
    const applied = await applyEvent(
      context,
      entry.workItemId,
      { type: 'slot-freed', enqueuedAt: entry.enqueuedAt },
      result,
    );
    const fullPool = applied.wrote ? undefined : applied.notes.fullPool;
    if (fullPool === TENANT_POOL || fullPool?.startsWith(BREAKER_POOL)) break;
  }
}
