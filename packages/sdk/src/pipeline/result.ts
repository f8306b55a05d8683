import type { PlannedWrite } from '../dry-run/planning-ports.ts';
import type { FactoryEventType } from '../events.ts';
import type { WorkItemStatus } from '../record.ts';

export interface Transition {
  workItemId: string;
  from: WorkItemStatus | null;
  to: WorkItemStatus;
  reason: string;
  /** On a first dispatch: how long since the run began (for the dispatch latency metric). */
  waitedMs?: number;
  /** Leaving `dispatched`: how long the agent had run (for the agent run duration metric). */
  ranMs?: number;
}

/** What one `handle` call did and why; the HTTP layer and the logs read it. */
export interface HandleResult {
  event: FactoryEventType;
  workItemId?: string;
  /** `changed`: state moved; `ignored`: nothing to do (see reason); `incomplete`: saved, but an effect failed. */
  outcome: 'changed' | 'ignored' | 'incomplete';
  reason: string;
  transitions: Transition[];
  /** The side effects performed, e.g. `spawn agent-7`, in order. */
  effects: string[];
  /** Why the work is incomplete; the rest is finished on redelivery or by the next tick. */
  error?: string;
  /** In a dry run: every write the call would have made, in order. Nothing was written. */
  plan?: PlannedWrite[];
  /** The W3C trace id of the work item's run, the same in every log line and write for that run. */
  traceId?: string;
  /** Given the delivery's keys (`HandleOptions.delivery`): whether a change this call stored kept them. */
  deliveryKept?: boolean;
}

/** Accumulates what a handler did, then says it as a HandleResult. */
export class ResultBuilder {
  readonly transitions: Transition[] = [];
  readonly effects: string[] = [];
  readonly errors: string[] = [];
  workItemId: string | undefined;
  traceId: string | undefined;
  /** Set when the handler wrote state, even if no status changed (e.g. a reply recorded). */
  wrote = false;

  readonly event: FactoryEventType;

  constructor(event: FactoryEventType) {
    this.event = event;
  }

  merge(other: ResultBuilder): void {
    this.transitions.push(...other.transitions);
    this.effects.push(...other.effects);
    this.errors.push(...other.errors);
    this.wrote ||= other.wrote;
  }

  finish(reason: string): HandleResult {
    const error = this.errors.length > 0 ? this.errors.join('; ') : undefined;
    return {
      event: this.event,
      ...(this.workItemId !== undefined ? { workItemId: this.workItemId } : {}),
      ...(this.traceId !== undefined ? { traceId: this.traceId } : {}),
      outcome: error ? 'incomplete' : this.wrote || this.transitions.length > 0 ? 'changed' : 'ignored',
      reason,
      transitions: this.transitions,
      effects: this.effects,
      ...(error ? { error } : {}),
    };
  }
}
