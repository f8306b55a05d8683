import type { ClarificationRepliedEvent } from '../../events.ts';
import type { WorkItemRecord } from '../../record.ts';
import { Draft } from '../draft.ts';
import type { Decision, Step } from '../step.ts';
import { triage } from './work-item.ts';

/** Every status: a reply counts only in the current run's thread, and only once. */
export function notAnAnswer(current: WorkItemRecord, event: ClarificationRepliedEvent): string | undefined {
  const wait = current.clarification;
  if (!wait || wait.threadId !== event.threadId) return 'the thread belongs to an earlier run';
  if (wait.answers.some((answer) => answer.messageId === event.messageId))
    return 'this reply was already read';
  return undefined;
}

/** Waiting for an answer: keep it and triage again with it. */
export async function retriageWithAnswer(
  current: WorkItemRecord,
  event: ClarificationRepliedEvent,
  step: Step,
): Promise<Decision> {
  const wait = current.clarification;
  if (!wait) return { ignore: 'the thread belongs to an earlier run' };
  const draft = Draft.from(current, step.now);
  const answer = {
    messageId: event.messageId,
    author: event.author.name ?? event.author.id,
    text: event.text,
    at: step.now,
  };
  draft.record.clarification = { ...wait, answers: [...wait.answers, answer] };
  await triage(draft, step, event.type);
  return { draft, reason: draft.changedStatus ? draft.record.reason : 'answer recorded' };
}
