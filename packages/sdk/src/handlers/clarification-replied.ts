import type { ClarificationRepliedEvent, ReplyAuthor } from '../events.ts';
import { applyEvent } from '../machine/apply.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { drain } from '../pipeline/drain.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';
import { findRecord } from '../pipeline/schedule-store.ts';

/** A person answered in a clarification thread: the thread names the item; the table does the rest. */
export async function onClarificationReplied(
  context: HandlerContext,
  event: ClarificationRepliedEvent,
): Promise<HandleResult> {
  const result = new ResultBuilder(event.type);
  const found = await findRecord(context, { kind: 'thread', value: event.threadId });
  if (!found) return result.finish('not a thread the factory is waiting on');
  const { workItemId } = found;
  result.workItemId = workItemId;
  // Only a trusted author's reply is an answer; anyone else's changes nothing and gets no reply, so
  // the thread learns nothing. The reason stays in the result and the log for the operator.
  const untrusted = whyNotTrusted(event);
  if (untrusted) return result.finish(`reply ignored: ${untrusted}`);
  const applied = await applyEvent(context, workItemId, event, result, found);
  if (applied.notes.triageError && applied.wrote) result.errors.push(applied.notes.triageError);
  if (applied.record?.status === 'queued') await drain(context, result);
  return result.finish(applied.reason);
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
