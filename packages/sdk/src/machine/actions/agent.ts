import type { AgentExitedEvent } from '../../events.ts';
import { failAttempt } from '../../pipeline/plan.ts';
import type { WorkItemRecord } from '../../record.ts';
import { Draft } from '../draft.ts';
import type { Decision, Step } from '../step.ts';
import { startRound } from './feedback.ts';

export function notTheCurrentAgent(event: AgentExitedEvent): string {
  return `agent ${event.agentId} is not the item's current agent`;
}

/**
 * Dispatched: the current agent ended. Success waits for its output (and asks the output target once,
 * after the write); failure retries while attempts remain, then fails the item.
 */
export function retryOrFail(current: WorkItemRecord, event: AgentExitedEvent, step: Step): Decision {
  const dispatch = current.dispatch;
  if (dispatch?.agentId !== event.agentId) return { ignore: notTheCurrentAgent(event) };
  if (dispatch.exitedAt !== undefined) return { ignore: 'the agent already exited' };
  const draft = Draft.from(current, step.now);
  if (event.outcome === 'succeeded') {
    draft.record.dispatch = { ...dispatch, exitedAt: step.now, exitCode: event.exitCode ?? 0 };
    return agentFinished(draft, step, event.type);
  }
  const reason = whyItEnded(event);
  failAttempt(step.context, draft, reason, event.type);
  if (event.outcome === 'lost') step.notes.fleetFaults.push(reason);
  return { draft, reason: draft.record.reason };
}

export function whyItEnded(event: AgentExitedEvent): string {
  if (event.reason) return event.reason;
  return event.outcome === 'lost'
    ? 'the fleet lost the agent'
    : `the agent exited with code ${event.exitCode ?? 'unknown'}`;
}

/**
 * The attempt's agent finished successfully (its exit reported, or found by the tick), recorded on the
 * draft: a feedback round it worked on is finished, and feedback that came while it worked starts the
 * next round now that no agent works on the item; otherwise the item waits for its output.
 */
export function agentFinished(draft: Draft, step: Step, event: string): Decision {
  const feedback = draft.record.feedback;
  if (feedback && feedback.rounds > 0 && feedback.given.length > 0)
    draft.addEffects({
      kind: 'output-comment',
      outputId: feedback.outputId,
      message: { type: 'feedback-round-finished', round: feedback.rounds },
    });
  if (feedback && feedback.waiting.length > 0 && !feedback.stopped)
    return startRound(step, draft, feedback.waiting, event);
  step.notes.agentExited = true;
  return { draft, reason: 'agent finished; waiting for its output' };
}
