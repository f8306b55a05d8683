import { BREAKER_POOL } from './breaker.ts';
import { change } from './change.ts';
import type { HandlerContext } from './context.ts';
import { TENANT_POOL } from './context.ts';
import { Draft } from './drafts.ts';
import { tryDispatch } from './plan.ts';
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
    let fullPool: string | undefined;
    await change(context, entry.workItemId, result, async (current, slots) => {
      if (current?.status !== 'queued' || current.queuedAt !== entry.enqueuedAt)
        return { ignore: 'no longer queued' };
      if (current.retryAt !== undefined && current.retryAt > context.clock.now())
        return { ignore: 'retry not due' };
      const draft = Draft.from(current, context.clock.now());
      const outcome = await tryDispatch(context, draft, slots, 'drain');
      if (!outcome.dispatched) {
        fullPool = outcome.fullPool;
        return { ignore: `no free slot in ${outcome.fullPool}` };
      }
      fullPool = undefined;
      return { draft, reason: 'dispatched from the queue' };
    });
    if (fullPool === TENANT_POOL || fullPool?.startsWith(BREAKER_POOL)) break;
  }
}
