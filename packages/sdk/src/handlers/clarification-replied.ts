import type { ClarificationRepliedEvent, ReplyAuthor } from '../events.ts';
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
  // Only a trusted author's reply is an answer; anyone else's changes nothing and gets no reply, so
  // the thread learns nothing. The reason stays in the result and the log for the operator.
  const untrusted = whyNotTrusted(event);
  if (untrusted) return result.finish(`reply ignored: ${untrusted}`);
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
      author: event.author.name ?? event.author.id,
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

/** Why the reply does not count as an answer; `undefined` when its author is trusted. */
function whyNotTrusted(event: ClarificationRepliedEvent): string | undefined {
  // Checked as data from outside the type system too: an event built without the channel's verdict is
  // not trusted.
  const author = event.author as Partial<ReplyAuthor> | string | undefined;
  if (typeof author !== 'object' || author === null || typeof author.id !== 'string')
    return 'the channel did not say who wrote it or whether they are trusted';
  if (author.trusted === true) return undefined;
  return `${author.id} is not a trusted author (${typeof author.reason === 'string' && author.reason ? author.reason : 'no reason given'})`;
}
