import { change } from './change.ts';
import type { HandlerContext } from './context.ts';
import { Draft } from './drafts.ts';
import { evaluate } from './plan.ts';
import type { ResultBuilder } from './result.ts';

/** When an item is done, the items blocked by it are checked again at once rather than at the next tick. */
export async function wakeDependents(
  context: HandlerContext,
  key: string,
  result: ResultBuilder,
): Promise<void> {
  const target = key.toUpperCase();
  let cursor: string | undefined;
  do {
    const page = await context.store.listRecords(context.tenant, {
      statuses: ['blocked'],
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    for (const blocked of page.records) {
      if (!blocked.blockedBy?.some((ref) => ref.toUpperCase() === target)) continue;
      await change(context, blocked.workItemId, result, async (current, slots) => {
        if (current?.status !== 'blocked') return { ignore: 'no longer blocked' };
        const draft = Draft.from(current, context.clock.now());
        const error = await evaluate(context, draft, slots, 'dependency done');
        if (error) result.errors.push(`${current.workItemId}: ${error}`);
        return { draft, reason: draft.record.reason };
      });
    }
    cursor = page.cursor;
  } while (cursor);
}
