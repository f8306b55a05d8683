import { EMPTY_SCHEDULE, SCHEDULE_DOCUMENT, type Schedule } from '../pipeline/schedule.ts';
import type { StateStore } from '../ports/state-store.ts';

/** The tenant's schedule as stored (empty when none is), for tests that check the queue and the slots. */
export async function storedSchedule(store: StateStore, tenant: string): Promise<Schedule> {
  const document = await store.getDocument(tenant, SCHEDULE_DOCUMENT);
  return { ...EMPTY_SCHEDULE, ...((document?.value ?? {}) as Partial<Schedule>) };
}

/** The queued items in line order, as `{ workItemId, enqueuedAt }`. */
export async function queuedIn(
  store: StateStore,
  tenant: string,
): Promise<{ workItemId: string; enqueuedAt: number }[]> {
  return (await storedSchedule(store, tenant)).queue.map(({ workItemId, enqueuedAt }) => ({
    workItemId,
    enqueuedAt,
  }));
}

/** The holders of `pool`'s slots, as `{ holder, acquiredAt }`. */
export async function slotsIn(
  store: StateStore,
  tenant: string,
  pool: string,
): Promise<{ holder: string; acquiredAt: number }[]> {
  const holders = (await storedSchedule(store, tenant)).slots[pool] ?? {};
  return Object.entries(holders).map(([holder, acquiredAt]) => ({ holder, acquiredAt }));
}
