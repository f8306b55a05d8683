import type { Draft } from '../machine/draft.ts';
import type { Decision } from '../machine/step.ts';
import type { WorkItemRecord } from '../record.ts';
import type { HandlerContext } from './context.ts';
import { SlotTracker } from './slots.ts';

export type { Decision };

export interface Committed {
  /** The record as stored after this call (written by it, or as found when ignored). */
  record: WorkItemRecord | undefined;
  /** True when this call wrote the record. */
  wrote: boolean;
  reason: string;
  draft?: Draft;
}

/**
 * A conflict means another writer's version landed, so the loop always makes progress somewhere; the
 * bound is only a backstop. It must exceed the writes that can land between one read and its write
 * when a burst of deliveries races on one item (24 shuffled revisions plus the outbox's completions in
 * the concurrency tests take up to 8), or a delivery gives up (the sender retries it) although nothing
 * is wrong.
 */
const MAX_CONFLICTS = 16;

/**
 * Reads the record, lets `decide` choose the next version, and writes it with compare-and-set; on a
 * conflict it reads again and decides again, so concurrent handlers never overwrite each other.
 */
export async function commitRecord(
  context: HandlerContext,
  workItemId: string,
  decide: (current: WorkItemRecord | undefined, slots: SlotTracker) => Promise<Decision>,
): Promise<Committed> {
  const { store, tenant } = context;
  const slots = new SlotTracker(context);
  try {
    for (let conflicts = 0; conflicts < MAX_CONFLICTS; conflicts++) {
      const current = await store.getRecord(tenant, workItemId);
      const decision = await decide(current, slots);
      if ('ignore' in decision) {
        await slots.settle(current);
        return { record: current, wrote: false, reason: decision.ignore };
      }
      const next = decision.draft.seal(context);
      const stored = current
        ? await store.updateRecord(tenant, next, current.version)
        : await store.createRecord(tenant, next);
      if (stored) {
        await slots.settle(next);
        return { record: next, wrote: true, reason: decision.reason, draft: decision.draft };
      }
    }
  } catch (error) {
    // Keep only the slots the stored record holds. If the store cannot say, keep them all: a leaked
    // slot is repaired by the tick, a slot released under a running agent would break the limit.
    try {
      await slots.settle(await store.getRecord(tenant, workItemId));
    } catch {}
    throw error;
  }
  await slots.settle(await store.getRecord(tenant, workItemId));
  throw new Error(`work item ${workItemId}: gave up after ${MAX_CONFLICTS} conflicting writes`);
}
