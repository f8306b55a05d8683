import { tryDispatch } from '../../pipeline/plan.ts';
import type { WorkItemRecord } from '../../record.ts';
import { Draft } from '../draft.ts';
import type { Decision, Step } from '../step.ts';
import { triage } from './work-item.ts';

/** Queued, and a slot may be free: start it if its retry is due and every pool it needs has room. */
export async function dispatchFromQueue(
  current: WorkItemRecord,
  event: { type: 'slot-freed'; enqueuedAt?: number },
  step: Step,
): Promise<Decision> {
  if (event.enqueuedAt !== undefined && current.queuedAt !== event.enqueuedAt)
    return { ignore: 'no longer queued' };
  if (current.retryAt !== undefined && current.retryAt > step.now) return { ignore: 'retry not due' };
  const draft = Draft.from(current, step.now);
  const outcome = tryDispatch(step.context, draft, step.schedule, 'drain');
  if (!outcome.dispatched) {
    step.notes.fullPool = outcome.fullPool;
    return { ignore: `no free slot in ${outcome.fullPool}` };
  }
  return { draft, reason: 'dispatched from the queue' };
}

/** Blocked, and one of its blockers is done: check them all again now rather than at the next tick. */
export async function recheckBlockers(
  current: WorkItemRecord,
  _event: { type: 'blocker-done' },
  step: Step,
): Promise<Decision> {
  const draft = Draft.from(current, step.now);
  await triage(draft, step, 'dependency done');
  return { draft, reason: draft.record.reason };
}
