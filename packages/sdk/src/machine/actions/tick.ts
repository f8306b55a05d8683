import { clarificationClosed, clarificationReminder } from '../../pipeline/messages.ts';
import { awaitingReview, outputOverdue } from '../../pipeline/output-due.ts';
import { dropObsoleteEffects, failAttempt } from '../../pipeline/plan.ts';
import type { WorkItemRecord } from '../../record.ts';
import { Draft } from '../draft.ts';
import type { Decision, Step } from '../step.ts';
import { agentFinished } from './agent.ts';
import { triage } from './work-item.ts';

type Tick = { type: 'tick' };

/** `new`: triage failed before; try again once the retry is due. */
export async function retryTriage(current: WorkItemRecord, event: Tick, step: Step): Promise<Decision> {
  if (current.updatedAt + step.context.settings.effectLease > step.now)
    return { ignore: 'triage retry not due' };
  const draft = Draft.from(current, step.now);
  await triage(draft, step, event.type);
  return { draft, reason: draft.record.reason };
}

/** Waiting for an answer past the wait: remind once, then give up. */
export function remindOrGiveUp(current: WorkItemRecord, event: Tick, step: Step): Decision {
  const wait = current.clarification;
  if (!wait || wait.expiresAt > step.now) return { ignore: 'wait not expired' };
  const draft = Draft.from(current, step.now);
  if (!wait.reminded) {
    draft.record.clarification = {
      ...wait,
      reminded: true,
      expiresAt: step.now + step.context.settings.clarification.wait,
    };
    draft.record.reason = 'reminded: no answer yet';
    draft.addEffects({ kind: 'reply-thread', text: clarificationReminder(wait.question) });
    return { draft, reason: 'reminded' };
  }
  const reason = 'nobody answered the clarification question';
  dropObsoleteEffects(draft);
  if (wait.threadId) draft.addEffects({ kind: 'reply-thread', text: clarificationClosed(reason) });
  draft
    .moveTo('failed', reason, event.type)
    .addEffects({ kind: 'comment', message: { type: 'gave-up-waiting' } });
  return { draft, reason };
}

/** Blocked: check the blockers again when the check is due. */
export async function recheckBlockersWhenDue(
  current: WorkItemRecord,
  event: Tick,
  step: Step,
): Promise<Decision> {
  if ((current.blockCheckAt ?? 0) > step.now) return { ignore: 'blocker check not due' };
  const draft = Draft.from(current, step.now);
  await triage(draft, step, event.type);
  return { draft, reason: draft.record.reason };
}

/** Queued for a retry: once it is due, the record says so (the drain that follows may start it). */
export function clearDueRetry(current: WorkItemRecord, _event: Tick, step: Step): Decision {
  if (current.retryAt === undefined || current.retryAt > step.now) return { ignore: 'retry not due' };
  const draft = Draft.from(current, step.now);
  delete draft.record.retryAt;
  return { draft, reason: 'retry due' };
}

/**
 * Dispatched: time the agent out, fail an attempt whose output never came, and otherwise ask the fleet
 * how the agent is when its check is due.
 */
export async function checkAgent(current: WorkItemRecord, event: Tick, step: Step): Promise<Decision> {
  const { context, now } = step;
  const dispatch = current.dispatch;
  if (!dispatch) return { ignore: 'no dispatch' };
  if (awaitingReview(current)) return nextReviewCheck(current, dispatch, step);
  const draft = Draft.from(current, now);
  if (dispatch.exitedAt === undefined && now >= dispatch.dispatchedAt + context.settings.agents.timeout) {
    failAttempt(context, draft, 'the agent timed out', event.type);
    step.notes.fleetFaults.push('an agent timed out');
    return { draft, reason: draft.record.reason };
  }
  if (outputOverdue(context, current, now)) {
    failAttempt(context, draft, 'the agent finished without a ready output', event.type);
    return { draft, reason: draft.record.reason };
  }
  if (now < dispatch.checkAt) return { ignore: 'agent check not due' };
  const checked = { ...dispatch, checkAt: now + context.settings.agents.checkInterval };
  draft.record.dispatch = checked;
  if (!dispatch.agentId || dispatch.exitedAt !== undefined)
    return { draft, reason: 'agent check rescheduled' };
  const status = await context.fleet.status(dispatch.agentId);
  if (status.state === 'running') return { draft, reason: 'agent still running' };
  if (status.state === 'exited' && status.exitCode === 0) {
    draft.record.dispatch = { ...checked, exitedAt: now, exitCode: 0 };
    return agentFinished(draft, step, event.type);
  }
  const reason =
    status.state === 'exited' ? `the agent exited with code ${status.exitCode}` : 'the fleet lost the agent';
  failAttempt(context, draft, reason, event.type);
  if (status.state === 'unknown') step.notes.fleetFaults.push(reason);
  return { draft, reason };
}

/**
 * An output waiting for review is a person's to decide: no timer fails it. Once its check is due (the
 * tick has just read the output: `checkOutputInReview`), the next one is set.
 */
function nextReviewCheck(
  current: WorkItemRecord,
  dispatch: NonNullable<WorkItemRecord['dispatch']>,
  step: Step,
): Decision {
  if (step.now < dispatch.checkAt) return { ignore: 'the output waits for review' };
  const draft = Draft.from(current, step.now);
  draft.record.dispatch = { ...dispatch, checkAt: step.now + step.context.settings.completion.checkInterval };
  return { draft, reason: 'the output still waits for review' };
}
