import { assertTransition } from '../lifecycle.ts';
import { afterFailure } from '../pipeline/breaker.ts';
import { change } from '../pipeline/change.ts';
import type { Committed } from '../pipeline/commit.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { logIfOpened } from '../pipeline/fleet-health.ts';
import type { ResultBuilder } from '../pipeline/result.ts';
import type { Loaded } from '../pipeline/schedule-store.ts';
import type { WorkItemRecord } from '../record.ts';
import type { Decision, EventOf, MachineEvent, MachineEventType, Step, StepNotes } from './step.ts';
import { BEFORE, FIRST, MACHINE, UNHANDLED } from './table.ts';

export interface Applied extends Committed {
  /** What the deciding action noted for after the write. */
  notes: StepNotes;
  /** The write took the item out of `dispatched`: its slots are freed (once its outbox has run). */
  freedSlots: boolean;
}

/**
 * Applies one event to one record: reads it (with the schedule), finds the table's cell for its status
 * and the event, lets the action decide, checks every move it made against the table, counts the fleet
 * failures it noted against the breaker, writes it all with one compare-and-set (deciding again on a
 * conflict), and performs the outbox.
 */
export async function applyEvent(
  context: HandlerContext,
  workItemId: string,
  event: MachineEvent,
  result: ResultBuilder,
  /** The record and the schedule, when the caller found them through a lookup. */
  loaded?: Loaded,
): Promise<Applied> {
  let notes: StepNotes = { fleetFaults: [] };
  let breaker: ReturnType<typeof afterFailure> | undefined;
  let now = context.clock.now();
  const committed = await change(
    context,
    workItemId,
    result,
    async (current, schedule) => {
      notes = { fleetFaults: [] };
      now = context.clock.now();
      const decision = await decide(current, event, { context, schedule, now, notes });
      if (!('draft' in decision)) return decision;
      for (const move of decision.draft.transitions) assertTransition(move.from, move.to);
      for (const fault of notes.fleetFaults) {
        breaker = afterFailure(schedule.value.breaker, fault, now, context.settings.breaker);
        schedule.value = { ...schedule.value, breaker };
      }
      return decision;
    },
    loaded,
  );
  const fault = notes.fleetFaults.at(-1);
  if (committed.wrote && breaker && fault) logIfOpened(context, breaker, now, fault);
  const before = committed.draft?.base?.status;
  return {
    ...committed,
    notes,
    freedSlots: committed.wrote && before === 'dispatched' && committed.record?.status !== 'dispatched',
  };
}

function decide(
  current: WorkItemRecord | undefined,
  event: MachineEvent,
  step: Step,
): Promise<Decision> | Decision {
  if (!current) {
    if (event.type === 'work-item.changed') return FIRST[event.type].act(event, step);
    return { ignore: unhandled(undefined, event) };
  }
  const before = BEFORE[event.type] as
    | ((record: WorkItemRecord, event: MachineEvent) => string | undefined)
    | undefined;
  const rejected = before?.(current, event);
  if (rejected) return { ignore: rejected };
  const entry = MACHINE[current.status][event.type] as
    | { act: (record: WorkItemRecord, event: MachineEvent, step: Step) => Promise<Decision> | Decision }
    | undefined;
  if (!entry) return { ignore: unhandled(current.status, event) };
  return entry.act(current, event, step);
}

function unhandled(status: WorkItemRecord['status'] | undefined, event: MachineEvent): string {
  const reason = UNHANDLED[event.type] as (
    status: WorkItemRecord['status'] | undefined,
    event: EventOf<MachineEventType>,
  ) => string;
  return reason(status, event);
}
