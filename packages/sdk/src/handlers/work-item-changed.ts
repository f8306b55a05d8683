import type { WorkItemChangedEvent } from '../events.ts';
import { applyEvent } from '../machine/apply.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { wakeDependents } from '../pipeline/dependents.ts';
import { drain } from '../pipeline/drain.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';

/**
 * A work item was created or changed: its id is the record's. What it does in each status is the
 * machine's table; afterwards a freed slot or a new queue entry drains the queue, and an item done in
 * the tracker wakes the items it blocked.
 */
export async function onWorkItemChanged(
  context: HandlerContext,
  event: WorkItemChangedEvent,
): Promise<HandleResult> {
  const result = new ResultBuilder(event.type);
  result.workItemId = event.item.id;
  const applied = await applyEvent(context, event.item.id, event, result);
  if (applied.notes.triageError && applied.wrote) result.errors.push(applied.notes.triageError);
  if (applied.freedSlots || applied.record?.status === 'queued') await drain(context, result);
  if (event.item.state === 'done') await wakeDependents(context, event.item.key, result);
  return result.finish(applied.reason);
}
