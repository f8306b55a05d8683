import type { WorkItemChangedEvent } from '../events.ts';
import { change } from '../pipeline/change.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { wakeDependents } from '../pipeline/dependents.ts';
import { Draft } from '../pipeline/drafts.ts';
import { drain } from '../pipeline/drain.ts';
import { cancel, evaluate } from '../pipeline/plan.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';
import { TERMINAL_STATUSES } from '../record.ts';
import { outsideScope } from '../scope.ts';
import { compareUpdatedAt, type WorkItem } from '../work-item.ts';

/** The tracker's states that mean someone is working on the item, which the factory itself sets. */
const WORKING_STATES: readonly WorkItem['state'][] = ['in-progress', 'in-review'];

/**
 * A work item was created or changed: triage it when it becomes ready, cancel it when a person takes
 * it out of the ready state, and otherwise keep the newest snapshot. Older updates never win.
 */
export async function onWorkItemChanged(
  context: HandlerContext,
  event: WorkItemChangedEvent,
): Promise<HandleResult> {
  const { item } = event;
  const result = new ResultBuilder(event.type);
  result.workItemId = item.id;
  const outside = outsideScope(item, context.settings.scope);
  const ready = !outside && context.workItems.isReadyForDispatch(item);
  let triageError: string | undefined;
  let freedSlots = false;

  const committed = await change(context, item.id, result, async (current, slots) => {
    const now = context.clock.now();
    triageError = undefined;
    freedSlots = false;
    if (!current) {
      if (outside) return { ignore: outside };
      if (!ready) return { ignore: 'not ready for dispatch' };
      const draft = Draft.create(item, event.type, now);
      triageError = await evaluate(context, draft, slots, event.type);
      return { draft, reason: draft.record.reason };
    }
    const order = compareUpdatedAt(item.updatedAt, current.item.updatedAt);
    if (order < 0) return { ignore: 'an older update than the one already applied' };
    if (order === 0) return { ignore: 'this update was already applied' };

    const draft = Draft.from(current, now);
    if (TERMINAL_STATUSES.includes(current.status)) {
      if (!ready) {
        draft.record.item = item;
        return { draft, reason: `snapshot updated; the item is ${current.status}` };
      }
      draft.reopen(item, event.type);
      triageError = await evaluate(context, draft, slots, event.type);
      return { draft, reason: draft.record.reason };
    }

    const contentChanged =
      current.item.title !== item.title ||
      current.item.description !== item.description ||
      current.item.labels.join('\u0000') !== item.labels.join('\u0000');
    draft.record.item = item;
    const leaving = outside ?? `moved out of the ready state (${item.state})`;
    switch (current.status) {
      case 'new':
        if (!ready) cancel(draft, leaving, event.type);
        else triageError = await evaluate(context, draft, slots, event.type);
        break;
      case 'waiting-clarification':
        if (!ready) cancel(draft, leaving, event.type);
        else if (contentChanged)
          triageError = await evaluate(context, draft, slots, event.type, { mayAsk: false });
        break;
      case 'blocked':
        if (!ready) cancel(draft, leaving, event.type);
        else if (contentChanged) triageError = await evaluate(context, draft, slots, event.type);
        break;
      case 'queued':
        if (!ready) cancel(draft, leaving, event.type);
        break;
      case 'dispatched':
        if (outside || (!ready && !WORKING_STATES.includes(item.state))) {
          cancel(draft, outside ?? `a person moved the item to ${item.state}`, event.type);
          freedSlots = true;
        }
        break;
    }
    return {
      draft,
      reason: draft.changedStatus ? draft.record.reason : `snapshot updated; the item is ${current.status}`,
    };
  });

  if (triageError && committed.wrote) result.errors.push(triageError);
  if (freedSlots || committed.record?.status === 'queued') await drain(context, result);
  if (item.state === 'done') await wakeDependents(context, item.key, result);
  return result.finish(committed.reason);
}
