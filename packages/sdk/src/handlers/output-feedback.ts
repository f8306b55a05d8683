import type { OutputFeedbackEvent } from '../events.ts';
import { describeFeedback } from '../machine/actions/feedback.ts';
import { applyEvent } from '../machine/apply.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { drain } from '../pipeline/drain.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';
import { findRecord } from '../pipeline/schedule-store.ts';

/**
 * Review feedback, a comment or a failed check on an output: the output names the item as for
 * `output.changed`, and the table decides whether a round starts, waits for the working agent, or hands
 * the item to a person.
 */
export async function onOutputFeedback(
  context: HandlerContext,
  event: OutputFeedbackEvent,
): Promise<HandleResult> {
  const result = new ResultBuilder(event.type);
  const key = context.template.findWorkItemKey(event.output);
  if (!key) return result.finish(`${describeFeedback(event.feedback)}: the output names no work item`);
  const found = await findRecord(context, { kind: 'key', value: key.toUpperCase() });
  if (!found) return result.finish(`no work item has the key ${key}`);
  result.workItemId = found.workItemId;
  const applied = await applyEvent(context, found.workItemId, event, result, found);
  if (applied.freedSlots) await drain(context, result);
  return result.finish(applied.reason);
}
