import type { OutputFeedback, OutputFeedbackEvent } from '../../events.ts';
import { queue, stopAgent } from '../../pipeline/plan.ts';
import type { FeedbackNote, FeedbackRounds, WorkItemRecord } from '../../record.ts';
import { Draft } from '../draft.ts';
import type { Decision, Step } from '../step.ts';

/** How many feedback ids a record remembers; a code host redelivers within minutes, not after dozens. */
const SEEN_KEPT = 50;

/**
 * Dispatched: feedback on the attempt's output. While its agent works, the feedback waits for the next
 * round (never two agents on one item); once the agent has finished, a round starts: a new attempt on
 * the same branch, queued like any dispatch, whose task carries the feedback. Past the run's last round
 * a person takes over. A person's push to the branch stops further rounds.
 */
export function takeFeedback(current: WorkItemRecord, event: OutputFeedbackEvent, step: Step): Decision {
  const refused = refusal(current, event, step);
  if (refused) return { ignore: refused };
  const { feedback } = event;
  const state = roundsOf(current, event);
  const draft = Draft.from(current, step.now);
  const seen = [...state.seen, feedback.id].slice(-SEEN_KEPT);
  if (feedback.kind === 'pushed') {
    const stopped = `${nameOf(feedback.author)} pushed to the branch`;
    draft.record.feedback = { ...state, seen, stopped };
    return { draft, reason: `no further feedback rounds: ${stopped}` };
  }
  const note: FeedbackNote = { ...feedback, at: step.now };
  if (agentWorking(current)) {
    draft.record.feedback = { ...state, seen, waiting: [...state.waiting, note] };
    return { draft, reason: `${describeFeedback(feedback)}: kept for the next round (the agent is working)` };
  }
  draft.record.feedback = { ...state, seen };
  return startRound(step, draft, [...state.waiting, note], event.type);
}

/**
 * Queued (for a round, or for a retry of one): feedback that arrives before the agent starts joins what
 * it will be given. An item queued before it had an output has no feedback to take; one queued for a
 * retry before its first round keeps it for that round.
 */
export function addToQueuedRound(current: WorkItemRecord, event: OutputFeedbackEvent, step: Step): Decision {
  const state = current.feedback;
  if (!state) return { ignore: 'the item has no output yet' };
  const refused = refusal(current, event, step);
  if (refused) return { ignore: refused };
  const { feedback } = event;
  if (feedback.kind === 'pushed')
    return { ignore: 'a push while the round waits for a slot: the round starts from the branch as it is' };
  const draft = Draft.from(current, step.now);
  const note: FeedbackNote = { ...feedback, at: step.now };
  const seen = [...state.seen, feedback.id].slice(-SEEN_KEPT);
  // Queued for a retry before any round (its feedback was kept while the agent worked): the feedback
  // waits with the rest for the first round, which starts once the retry's agent has finished.
  if (state.rounds === 0) {
    draft.record.feedback = { ...state, seen, waiting: [...state.waiting, note] };
    return { draft, reason: `${describeFeedback(feedback)}: kept for the first round` };
  }
  draft.record.feedback = { ...state, seen, given: [...state.given, note] };
  return { draft, reason: `${describeFeedback(feedback)}: added to round ${state.rounds}` };
}

/**
 * Starts the next round with `notes`, or hands the item to a person when the run has had its rounds:
 * the finished agent's slots are released and the item queues for a new attempt on the same branch.
 */
export function startRound(step: Step, draft: Draft, notes: FeedbackNote[], event: string): Decision {
  const record = draft.record;
  const state = record.feedback as FeedbackRounds;
  const { maxRounds } = step.context.settings.feedback;
  stopAgent(draft);
  if (state.rounds >= maxRounds) {
    const reason = `feedback after ${state.rounds} round${state.rounds === 1 ? '' : 's'} (feedback.maxRounds): a person takes it from here`;
    record.feedback = { ...state, waiting: [], stopped: reason };
    draft.moveTo('failed', reason, event).addEffects(
      { kind: 'set-state', state: 'cancelled' },
      { kind: 'comment', message: { type: 'feedback-exhausted', rounds: state.rounds } },
      {
        kind: 'output-comment',
        outputId: state.outputId,
        message: { type: 'feedback-exhausted', rounds: state.rounds },
      },
    );
    return { draft, reason };
  }
  const round = state.rounds + 1;
  record.feedback = { ...state, rounds: round, given: notes, waiting: [] };
  queue(step.context, draft, `feedback round ${round}: ${notes.map(describeFeedback).join('; ')}`, event);
  draft.addEffects({
    kind: 'output-comment',
    outputId: state.outputId,
    message: { type: 'feedback-round-started', round },
  });
  return { draft, reason: record.reason };
}

/** Why the feedback starts nothing, checked before anything is written. */
function refusal(current: WorkItemRecord, event: OutputFeedbackEvent, step: Step): string | undefined {
  const { feedback, output } = event;
  const { maxRounds } = step.context.settings.feedback;
  if (maxRounds === 0) return 'feedback rounds are off (feedback.maxRounds: 0)';
  if ('author' in feedback && !feedback.author.trusted)
    return `${nameOf(feedback.author)} is not a trusted author (${feedback.author.reason})`;
  const state = current.feedback;
  if (state?.seen.includes(feedback.id)) return `feedback ${feedback.id} was acted on already`;
  const branch = current.dispatch?.branch;
  if (output.branch !== undefined && branch !== undefined && output.branch !== branch)
    return `${output.id} is on branch ${output.branch}, not on the item's branch ${branch}`;
  const known = state?.outputId ?? current.output?.id;
  if (known !== undefined && known !== output.id) return `${output.id} is not the item's output (${known})`;
  if (state?.stopped) return `no further feedback rounds: ${state.stopped}`;
  return undefined;
}

function roundsOf(current: WorkItemRecord, event: OutputFeedbackEvent): FeedbackRounds {
  return current.feedback ?? { rounds: 0, outputId: event.output.id, waiting: [], given: [], seen: [] };
}

/** The attempt's agent runs, or its spawn is still to be performed. */
export function agentWorking(record: WorkItemRecord): boolean {
  const dispatch = record.dispatch;
  if (!dispatch || dispatch.exitedAt !== undefined) return false;
  return dispatch.agentId !== undefined || record.pending.some((effect) => effect.kind === 'spawn');
}

function nameOf(author: { id: string; name?: string }): string {
  return author.name ?? author.id;
}

/** A few words for the record's reason and history; the feedback's text stays in the data blocks. */
export function describeFeedback(feedback: OutputFeedback): string {
  switch (feedback.kind) {
    case 'review':
      return `review ${feedback.verdict === 'changes-requested' ? 'requesting changes' : 'with comments'} by ${nameOf(feedback.author)}`;
    case 'comment':
      return `comment by ${nameOf(feedback.author)}`;
    case 'check-failed':
      return `check "${feedback.name}" ${feedback.conclusion}`;
    case 'pushed':
      return `push by ${nameOf(feedback.author)}`;
  }
}
