import type { WorkItemStatus } from '../record.ts';
import { notTheCurrentAgent, retryOrFail } from './actions/agent.ts';
import { addToQueuedRound, takeFeedback } from './actions/feedback.ts';
import { completeOrReview } from './actions/output.ts';
import { dispatchFromQueue, recheckBlockers } from './actions/queue.ts';
import { notAnAnswer, retriageWithAnswer } from './actions/reply.ts';
import {
  checkAgent,
  clearDueRetry,
  recheckBlockersWhenDue,
  remindOrGiveUp,
  retryTriage,
} from './actions/tick.ts';
import {
  cancelIfNotReady,
  cancelIfStopped,
  firstSeen,
  olderUpdate,
  recheckEditOrCancel,
  reopenIfReady,
  retriageEditOrCancel,
  retriageOrCancel,
} from './actions/work-item.ts';
import { type Cell, cell, type EventOf, type FirstAction, type MachineEventType } from './step.ts';

type Row = { [T in MachineEventType]?: Cell<EventOf<T>> };

/** The statuses a triage may lead to from `new`, `waiting-clarification` or `blocked`. */
const TRIAGED = ['waiting-clarification', 'blocked', 'queued', 'dispatched', 'failed'] as const;
/** A finished run starts again in `new` and is triaged in the same write (checked from `new`). */
const FINISHED: Row = { 'work-item.changed': cell(['new'], reopenIfReady) };

/**
 * The state machine: for each status and each event, the statuses the action may move the record to
 * and the action. This is the code of the package README's table of states and transitions (a test
 * checks the two say the same), and `lifecycle.ts` derives the allowed transitions from it (staying in
 * a status is not a move). An event a status does not name is ignored, with the reason `UNHANDLED`
 * gives.
 */
export const MACHINE: Readonly<Record<WorkItemStatus, Row>> = {
  new: {
    'work-item.changed': cell([...TRIAGED, 'cancelled'], retriageOrCancel),
    tick: cell(TRIAGED, retryTriage),
  },
  'waiting-clarification': {
    'work-item.changed': cell(['new', ...TRIAGED, 'cancelled'], retriageEditOrCancel),
    'clarification.replied': cell(['new', ...TRIAGED], retriageWithAnswer),
    tick: cell(['failed'], remindOrGiveUp),
  },
  blocked: {
    'work-item.changed': cell(['new', ...TRIAGED, 'cancelled'], recheckEditOrCancel),
    'blocker-done': cell(['new', ...TRIAGED], recheckBlockers),
    tick: cell(['new', ...TRIAGED], recheckBlockersWhenDue),
  },
  queued: {
    'work-item.changed': cell(['cancelled'], cancelIfNotReady),
    'slot-freed': cell(['dispatched'], dispatchFromQueue),
    'output.feedback': cell([], addToQueuedRound),
    tick: cell([], clearDueRetry),
  },
  dispatched: {
    'work-item.changed': cell(['cancelled'], cancelIfStopped),
    'output.changed': cell(['done', 'queued', 'failed'], completeOrReview),
    'output.feedback': cell(['queued', 'failed'], takeFeedback),
    'agent.exited': cell(['queued', 'failed'], retryOrFail),
    tick: cell(['queued', 'failed'], checkAgent),
  },
  done: FINISHED,
  failed: FINISHED,
  cancelled: FINISHED,
};

/** Before the factory has a record of the item: only a changed, ready item makes one (status `new`). */
export const FIRST: {
  'work-item.changed': { to: readonly ['new']; act: FirstAction<EventOf<'work-item.changed'>> };
} = { 'work-item.changed': { to: ['new'], act: firstSeen } };

/** Checks an event gets in every status, before its cell: what they reject never reaches an action. */
export const BEFORE: {
  [T in MachineEventType]?: (
    current: NonNullable<Parameters<typeof olderUpdate>[0]>,
    event: EventOf<T>,
  ) => string | undefined;
} = {
  'work-item.changed': olderUpdate,
  'clarification.replied': notAnAnswer,
};

/** Why an event that no cell names is ignored (`status` is undefined when there is no record). */
export const UNHANDLED: {
  [T in MachineEventType]: (status: WorkItemStatus | undefined, event: EventOf<T>) => string;
} = {
  'work-item.changed': (status) => `snapshot updated; the item is ${status}`,
  'clarification.replied': (status) =>
    status ? `the item is ${status}, not waiting for an answer` : 'the thread belongs to an earlier run',
  'output.changed': (status) => `the item is ${status ?? 'unknown'}`,
  'output.feedback': (status) =>
    `the item is ${status ?? 'unknown'}: feedback goes to an agent only while the item is dispatched (with completion.on: merged it stays so until the merge)`,
  'agent.exited': (_status, event) => notTheCurrentAgent(event),
  tick: (status) => (status ? 'nothing due' : 'gone'),
  'slot-freed': () => 'no longer queued',
  'blocker-done': () => 'no longer blocked',
};
