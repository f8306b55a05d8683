import type {
  AgentExitedEvent,
  ClarificationRepliedEvent,
  OutputChangedEvent,
  OutputFeedbackEvent,
  WorkItemChangedEvent,
} from '../events.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import type { SchedulePlan } from '../pipeline/schedule.ts';
import type { WorkItemRecord, WorkItemStatus } from '../record.ts';
import type { Draft } from './draft.ts';

/**
 * The events the machine acts on: the six the core receives, an output found by a lookup (named by
 * what found it), and two the core raises itself: a slot was freed (the queue drains) and a blocker is
 * done (the items it blocked are checked again).
 */
export type MachineEvent =
  | WorkItemChangedEvent
  | ClarificationRepliedEvent
  | (OutputChangedEvent & { via?: string })
  | OutputFeedbackEvent
  | AgentExitedEvent
  | { type: 'tick' }
  /** A slot may be free; `enqueuedAt` names the queue entry that led here (a stale one is ignored). */
  | { type: 'slot-freed'; enqueuedAt?: number }
  | { type: 'blocker-done' };

export type MachineEventType = MachineEvent['type'];
export type EventOf<T extends MachineEventType> = Extract<MachineEvent, { type: T }>;

/** What an action decided: leave the record as it is (and why), or write the draft. */
export type Decision = { ignore: string } | { draft: Draft; reason: string };

/** What the handler does after the write, noted by the action that decided it. */
export interface StepNotes {
  /** Triage itself failed; the record waits in `new` for the tick to retry. */
  triageError?: string;
  /** Fleet failures to count against the circuit breaker once the write has landed. */
  fleetFaults: string[];
  /** The agent exited successfully: ask the output target about its branch. */
  agentExited?: boolean;
  /** A dispatch found no slot: the pool that was full. */
  fullPool?: string;
}

/**
 * What one action may use: the ports and settings, the schedule it reads and takes slots (or the
 * breaker's probe) in, the time and its notes.
 */
export interface Step {
  context: HandlerContext;
  schedule: SchedulePlan;
  now: number;
  notes: StepNotes;
}

export type Action<E> = (current: WorkItemRecord, event: E, step: Step) => Decision | Promise<Decision>;
export type FirstAction<E> = (event: E, step: Step) => Decision | Promise<Decision>;

/** One cell of the table: the statuses the action may move the record to, and the action. */
export interface Cell<E> {
  to: readonly WorkItemStatus[];
  act: Action<E>;
}

export function cell<E>(to: readonly WorkItemStatus[], act: Action<E>): Cell<E> {
  return { to, act };
}
