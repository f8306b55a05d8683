import { errorMessage } from '../error-message.ts';
import { applyOutput } from '../handlers/output-changed.ts';
import { applyEvent } from '../machine/apply.ts';
import type { LogFields } from '../ports/logger.ts';
import type { WorkItemRecord } from '../record.ts';
import type { OutputSnapshot } from '../work-item.ts';
import type { HandlerContext } from './context.ts';
import { wakeDependents } from './dependents.ts';
import type { ResultBuilder } from './result.ts';

export { awaitingReview, outputOverdue, reviewCheckDue } from './output-due.ts';

/**
 * A lost output event must not cost a second agent, and a sweep of every dispatched item is what push
 * events replace. So the output target is asked about one item's branch at the two moments that decide
 * it: when its agent has exited successfully, and before the attempt is failed for having no output. An
 * output found past draft is applied as if its event had come. A failed lookup changes nothing: the event
 * may still come, and the other moment asks again.
 */
export async function lookUpOutput(
  context: HandlerContext,
  record: WorkItemRecord,
  eventName: string,
  result: ResultBuilder,
): Promise<{ freedSlots: boolean; reason?: string }> {
  const { route, dispatch } = record;
  if (record.status !== 'dispatched' || !route || !dispatch) return { freedSlots: false };
  const output = await readOrWarn(
    context,
    'output lookup failed',
    { workItemId: record.workItemId, branch: dispatch.branch },
    () => context.outputs.findOutput(route.repository, dispatch.branch),
  );
  if (!output || output.state === 'draft') return { freedSlots: false };
  const applied = await applyOutput(context, record.workItemId, output, eventName, result);
  if (applied.completed) await wakeDependents(context, record.item.key, result);
  return { freedSlots: applied.freedSlots, reason: `looked up: ${applied.reason}` };
}

/**
 * An output waiting for review (`completion.on: merged`) changes by a person's act, which only its event
 * tells, and GitHub does not send a lost event again. So every `completion.checkInterval` the tick reads
 * the output by its id and applies it when its state is no longer the one the record holds: merged
 * (done), closed (the attempt failed) or a draft again. Still waiting, it asks for the feedback given
 * since the attempt joined the queue (or started) that the record has not taken (`takeLostFeedback`). A
 * failed read changes nothing; the next check reads again.
 */
export async function checkOutputInReview(
  context: HandlerContext,
  record: WorkItemRecord,
  result: ResultBuilder,
): Promise<void> {
  const known = record.output;
  if (!known) return;
  const output = await readOrWarn(
    context,
    'output check failed',
    { workItemId: record.workItemId, outputId: known.id },
    () => context.outputs.getOutput(known.id),
  );
  if (!output) return;
  if (output.state === known.state) return takeLostFeedback(context, record, output, result);
  const applied = await applyOutput(context, record.workItemId, output, 'review check', result);
  if (applied.completed) await wakeDependents(context, record.item.key, result);
}

/**
 * The feedback on the output the record has not taken (reviews, comments to the agent, failed checks), applied
 * as if its events had come: the first starts a round, the others join it. Only where the output target
 * can list it (`OutputTarget.feedbackSince`), and only while feedback could still start a round.
 */
async function takeLostFeedback(
  context: HandlerContext,
  record: WorkItemRecord,
  output: OutputSnapshot,
  result: ResultBuilder,
): Promise<void> {
  const { outputs, settings } = context;
  const { dispatch, feedback } = record;
  const listFeedback = outputs.feedbackSince?.bind(outputs);
  if (!listFeedback || !dispatch || settings.feedback.maxRounds === 0 || feedback?.stopped) return;
  const given = await readOrWarn(
    context,
    'feedback check failed',
    { workItemId: record.workItemId, outputId: output.id },
    () => listFeedback(output, feedbackSince(record, dispatch.dispatchedAt), new Set(feedback?.seen)),
  );
  for (const event of given ?? []) await applyEvent(context, record.workItemId, event, result);
}

/**
 * Since when the attempt's feedback is listed: since it joined the queue, when it waited there (a round,
 * a retry), as feedback delivered meanwhile joins it, so feedback whose event was lost then is found too;
 * since its dispatch otherwise, or when the history no longer reaches back to its queueing.
 */
function feedbackSince({ history }: WorkItemRecord, dispatchedAt: number): number {
  const started = history.findLastIndex((entry) => entry.to === 'dispatched');
  const queued = history[started - 1];
  return history[started]?.from === 'queued' && queued?.to === 'queued' ? queued.at : dispatchedAt;
}

/** What `read` answers; undefined when it throws, logged: a failed read changes nothing. */
async function readOrWarn<T>(
  context: HandlerContext,
  failure: string,
  fields: LogFields,
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    context.logger.warn(failure, { tenant: context.tenant, ...fields, error: errorMessage(error) });
    return undefined;
  }
}
