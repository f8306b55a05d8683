import type { WorkItemRecord } from '../record.ts';
import type { HandlerContext } from './context.ts';

/**
 * Slots taken while deciding one write. Acquiring is idempotent per holder (one holder name per dispatch
 * attempt), so a decision that loses its compare-and-set gives back only what the stored record does not hold.
 */
export class SlotTracker {
  readonly #acquired: { pool: string; holder: string }[] = [];
  readonly #context: HandlerContext;

  constructor(context: HandlerContext) {
    this.#context = context;
  }

  async acquire(
    pools: readonly { pool: string; limit: number }[],
    holder: string,
  ): Promise<{ ok: true } | { ok: false; pool: string }> {
    const { store, tenant, clock } = this.#context;
    for (const [index, { pool, limit }] of pools.entries()) {
      // Noted before the call: if the store applied it and then failed, settle() still checks it.
      this.#acquired.push({ pool, holder });
      if (!(await store.acquireSlot(tenant, pool, holder, { limit, now: clock.now() }))) {
        this.#acquired.pop();
        for (const taken of pools.slice(0, index)) await store.releaseSlot(tenant, taken.pool, holder);
        this.#acquired.splice(this.#acquired.length - index, index);
        return { ok: false, pool };
      }
    }
    return { ok: true };
  }

  /** Releases what this call took but the final record does not hold. */
  async settle(finalRecord: WorkItemRecord | undefined): Promise<void> {
    const dispatch = finalRecord?.status === 'dispatched' ? finalRecord.dispatch : undefined;
    for (const { pool, holder } of this.#acquired.splice(0)) {
      if (dispatch?.slotHolder === holder && dispatch.pools.includes(pool)) continue;
      await this.#context.store.releaseSlot(this.#context.tenant, pool, holder);
    }
  }
}
