import type { ClarificationRepliedEvent } from '../events.ts';
import { change } from '../pipeline/change.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { Draft } from '../pipeline/drafts.ts';
import { drain } from '../pipeline/drain.ts';
import { evaluate } from '../pipeline/plan.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';

/** A person answered in a clarification thread: keep the answer and triage again with it. */
export async function onClarificationReplied(
  context: HandlerContext,
  event: ClarificationRepliedEvent,
): Promise<HandleResult> {
  const result = new ResultBuilder(event.type);
  const workItemId = await context.store.getIndex(context.tenant, 'thread', event.threadId);
  if (!workItemId) return result.finish('not a thread the factory is waiting on');
  result.workItemId = workItemId;
  let triageError: string | undefined;

  const committed = await change(context, workItemId, result, async (current, slots) => {
    triageError = undefined;
    const wait = current?.clarification;
    if (!current || !wait || wait.threadId !== event.threadId)
      return { ignore: 'the thread belongs to an earlier run' };
    if (wait.answers.some((answer) => answer.messageId === event.messageId))
      return { ignore: 'this reply was already read' };
    if (current.status !== 'waiting-clarification')
      return { ignore: `the item is ${current.status}, not waiting for an answer` };
    const now = context.clock.now();
    const draft = Draft.from(current, now);
    draft.record.clarification?.answers.push({
      messageId: event.messageId,
      author: event.author,
      text: event.text,
      at: now,
    });
    triageError = await evaluate(context, draft, slots, event.type);
    return { draft, reason: draft.changedStatus ? draft.record.reason : 'answer recorded' };
  });

  if (triageError && committed.wrote) result.errors.push(triageError);
  if (committed.record?.status === 'queued') await drain(context, result);
  return result.finish(committed.reason);
}
