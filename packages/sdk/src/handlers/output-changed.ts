import type { OutputChangedEvent } from '../events.ts';
import { applyEvent } from '../machine/apply.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { wakeDependents } from '../pipeline/dependents.ts';
import { drain } from '../pipeline/drain.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';
import { findRecord, type Loaded } from '../pipeline/schedule-store.ts';
import type { OutputSnapshot } from '../work-item.ts';

/** An output (pull request) changed: the key in its branch or title names the item; the table decides. */
export async function onOutputChanged(
  context: HandlerContext,
  event: OutputChangedEvent,
): Promise<HandleResult> {
  const result = new ResultBuilder(event.type);
  const { output } = event;
  const key = context.template.findWorkItemKey(output);
  if (!key) return result.finish('the output names no work item');
  const found = await findRecord(context, { kind: 'key', value: key.toUpperCase() });
  if (!found) return result.finish(`no dispatched work item has the key ${key}`);
  const { workItemId } = found;
  result.workItemId = workItemId;
  const applied = await applyOutput(context, workItemId, output, event.type, result, found);
  if (applied.freedSlots) await drain(context, result);
  if (applied.completed) await wakeDependents(context, key, result);
  return result.finish(applied.reason);
}

/**
 * Shared by the event and the lookups that find outputs no event announced (`via` names what found it).
 */
export async function applyOutput(
  context: HandlerContext,
  workItemId: string,
  output: OutputSnapshot,
  via: string,
  result: ResultBuilder,
  loaded?: Loaded,
): Promise<{ reason: string; freedSlots: boolean; completed: boolean }> {
  const applied = await applyEvent(
    context,
    workItemId,
    { type: 'output.changed', output, via },
    result,
    loaded,
  );
  return {
    reason: applied.reason,
    freedSlots: applied.freedSlots,
    completed: applied.wrote && applied.record?.status === 'done',
  };
}
