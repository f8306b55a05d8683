import type { WorkItemRecord } from '../record.ts';
import type { HandlerContext } from './context.ts';

/**
 * Slots taken while deciding one write. Acquiring is idempotent per holder, so a decision that loses
 * its compare-and-set must give back only the slots the stored record does not hold.
 */
export class SlotTracker {
  readonly #acquired = new Set<string>();

  readonly #context: HandlerContext;
  readonly #holder: string;

  constructor(context: HandlerContext, holder: string) {
    this.#context = context;
    this.#holder = holder;
  }

  async acquire(
    pools: readonly { pool: string; limit: number }[],
  ): Promise<{ ok: true } | { ok: false; pool: string }> {
    const taken: string[] = [];
    for (const { pool, limit } of pools) {
      const ok = await this.#context.store.acquireSlot(this.#context.tenant, pool, this.#holder, {
        limit,
        now: this.#context.clock.now(),
      });
      if (!ok) {
        for (const held of taken)
          await this.#context.store.releaseSlot(this.#context.tenant, held, this.#holder);
        for (const held of taken) this.#acquired.delete(held);
        return { ok: false, pool };
      }
      taken.push(pool);
      this.#acquired.add(pool);
    }
    return { ok: true };
  }

  /** Releases what this call took but the final record does not hold. */
  async settle(finalRecord: WorkItemRecord | undefined): Promise<void> {
    const held =
      finalRecord?.status === 'dispatched' ? new Set(finalRecord.dispatch?.pools ?? []) : new Set<string>();
    for (const pool of this.#acquired) {
      if (!held.has(pool)) await this.#context.store.releaseSlot(this.#context.tenant, pool, this.#holder);
    }
    this.#acquired.clear();
  }
}
