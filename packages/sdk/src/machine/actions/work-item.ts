import type { WorkItemChangedEvent } from '../../events.ts';
import { cancel, type EvaluateOptions, evaluate } from '../../pipeline/plan.ts';
import type { WorkItemRecord } from '../../record.ts';
import { outsideScope } from '../../scope.ts';
import { compareUpdatedAt, type WorkItem } from '../../work-item.ts';
import { Draft } from '../draft.ts';
import type { Decision, Step } from '../step.ts';

/** The tracker's states that mean someone is working on the item, which the factory itself sets. */
const WORKING_STATES: readonly WorkItem['state'][] = ['in-progress', 'in-review'];

type Changed = WorkItemChangedEvent;

/** Whether the changed item is in the factory's scope and ready, and if not, why it is leaving. */
function readiness(event: Changed, step: Step): { ready: boolean; outside: string | undefined } {
  const outside = outsideScope(event.item, step.context.settings.scope);
  return { outside, ready: !outside && step.context.workItems.isReadyForDispatch(event.item) };
}

/** Every status: an update older than (or the same as) the one applied never wins. */
export function olderUpdate(current: WorkItemRecord, event: Changed): string | undefined {
  const order = compareUpdatedAt(event.item.updatedAt, current.item.updatedAt);
  if (order < 0) return 'an older update than the one already applied';
  if (order === 0) return 'this update was already applied';
  return undefined;
}

/** No record yet: a ready item in scope gets one and is triaged in the same write. */
export async function firstSeen(event: Changed, step: Step): Promise<Decision> {
  const { ready, outside } = readiness(event, step);
  if (outside) return { ignore: outside };
  if (!ready) return { ignore: 'not ready for dispatch' };
  const draft = Draft.create(event.item, event.type, step.now);
  await triage(draft, step, event.type);
  return { draft, reason: draft.record.reason };
}

/** Done, failed or cancelled: a new run when the item is ready again; else only the snapshot moves. */
export async function reopenIfReady(current: WorkItemRecord, event: Changed, step: Step): Promise<Decision> {
  const draft = Draft.from(current, step.now);
  if (!readiness(event, step).ready) {
    draft.record.item = event.item;
    return { draft, reason: `snapshot updated; the item is ${current.status}` };
  }
  draft.reopen(event.item, event.type);
  await triage(draft, step, event.type);
  return { draft, reason: draft.record.reason };
}

/** `new` (triage failed before): triage again, or cancel when it left the ready state. */
export function retriageOrCancel(current: WorkItemRecord, event: Changed, step: Step): Promise<Decision> {
  return onEdit(current, event, step, (draft) => triage(draft, step, event.type));
}

/** Waiting for an answer: an edit may make it clear (no new question is asked); leaving cancels. */
export function retriageEditOrCancel(current: WorkItemRecord, event: Changed, step: Step): Promise<Decision> {
  return onEdit(current, event, step, (draft, edited) =>
    edited ? triage(draft, step, event.type, { mayAsk: false }) : undefined,
  );
}

/** Blocked: an edit may change the blockers; leaving cancels. */
export function recheckEditOrCancel(current: WorkItemRecord, event: Changed, step: Step): Promise<Decision> {
  return onEdit(current, event, step, (draft, edited) =>
    edited ? triage(draft, step, event.type) : undefined,
  );
}

/** Queued: only leaving the ready state matters. */
export function cancelIfNotReady(current: WorkItemRecord, event: Changed, step: Step): Promise<Decision> {
  return onEdit(current, event, step, () => undefined);
}

/**
 * Dispatched: the factory itself moved the item to a working state, so only a state that is neither
 * ready nor working (or leaving the scope) means a person stopped it.
 */
export async function cancelIfStopped(
  current: WorkItemRecord,
  event: Changed,
  step: Step,
): Promise<Decision> {
  const { item } = event;
  const { ready, outside } = readiness(event, step);
  const draft = Draft.from(current, step.now);
  draft.record.item = item;
  if (outside || (!ready && !WORKING_STATES.includes(item.state)))
    cancel(draft, outside ?? `a person moved the item to ${item.state}`, event.type);
  return snapshotOrMove(draft, current);
}

async function onEdit(
  current: WorkItemRecord,
  event: Changed,
  step: Step,
  whenReady: (draft: Draft, edited: boolean) => Promise<void> | undefined,
): Promise<Decision> {
  const { item } = event;
  const { ready, outside } = readiness(event, step);
  const edited =
    current.item.title !== item.title ||
    current.item.description !== item.description ||
    current.item.labels.join('\u0000') !== item.labels.join('\u0000');
  const draft = Draft.from(current, step.now);
  draft.record.item = item;
  if (!ready) cancel(draft, outside ?? `moved out of the ready state (${item.state})`, event.type);
  else await whenReady(draft, edited);
  return snapshotOrMove(draft, current);
}

function snapshotOrMove(draft: Draft, current: WorkItemRecord): Decision {
  return {
    draft,
    reason: draft.changedStatus ? draft.record.reason : `snapshot updated; the item is ${current.status}`,
  };
}

/** Triage and act on it; a triage failure is noted for the result, not thrown. */
export async function triage(
  draft: Draft,
  step: Step,
  event: string,
  options?: EvaluateOptions,
): Promise<void> {
  const error = await evaluate(step.context, draft, step.schedule, event, options);
  if (error) step.notes.triageError = error;
}
