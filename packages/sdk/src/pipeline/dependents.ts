import { applyEvent } from '../machine/apply.ts';
import type { HandlerContext } from './context.ts';
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
      const applied = await applyEvent(context, blocked.workItemId, { type: 'blocker-done' }, result);
      if (applied.notes.triageError)
        result.errors.push(`${blocked.workItemId}: ${applied.notes.triageError}`);
    }
    cursor = page.cursor;
  } while (cursor);
}
