import { recordsOf } from '../record-listing.ts';
import type { HandlerContext } from './context.ts';
import { QUEUE_HEAD, refilled } from './schedule.ts';
import { changeSchedule, currentSchedule } from './schedule-store.ts';

/**
 * How long after an item was left out of the line a listing of the records is trusted to show it: the
 * listings may lag behind writes (DynamoDB's index, by well under a second), never by this much.
 */
export const LISTING_LAG_MS = 60_000;

/**
 * When the line has items left out and its head runs short (under half of `QUEUE_HEAD`), the head is
 * filled again from the queued records, in order. A no-op (no read) otherwise.
 */
export async function refillQueue(context: HandlerContext): Promise<void> {
  const { value } = await currentSchedule(context);
  if (value.leftOut === undefined || value.queue.length >= QUEUE_HEAD / 2) return;
  const listedAt = context.clock.now();
  const queued = await recordsOf(context.store, context.tenant, { statuses: ['queued'] });
  await changeSchedule(context, (current) =>
    current.leftOut === undefined
      ? current
      : refilled(current, queued, listedAt - current.leftOut >= LISTING_LAG_MS),
  );
}
