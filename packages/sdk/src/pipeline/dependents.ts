import { applyEvent } from '../machine/apply.ts';
import type { HandlerContext } from './context.ts';
import type { ResultBuilder } from './result.ts';
import { currentSchedule, repairEntries } from './schedule-store.ts';

/**
 * When an item is done, the items blocked by it are checked again at once rather than at the next tick.
 * The schedule names the blocked items and what each waits for, so finding them reads nothing more.
 */
export async function wakeDependents(
  context: HandlerContext,
  key: string,
  result: ResultBuilder,
): Promise<void> {
  const target = key.toUpperCase();
  const blocked = Object.entries((await currentSchedule(context)).value.blocked);
  for (const [workItemId, refs] of blocked) {
    if (!refs.some((ref) => ref.toUpperCase() === target)) continue;
    const applied = await applyEvent(context, workItemId, { type: 'blocker-done' }, result);
    if (applied.notes.triageError) result.errors.push(`${workItemId}: ${applied.notes.triageError}`);
    if (!applied.wrote && applied.record?.status !== 'blocked') await repairEntries(context, workItemId);
  }
}
