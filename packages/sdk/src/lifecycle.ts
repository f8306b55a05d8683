import type { WorkItemStatus } from './record.ts';

/**
 * The only status changes the factory makes. `null` is "no record yet". A finished item that becomes
 * ready again starts a new run through `new`; an answered question whose re-triage failed goes back to
 * `new` for the tick to retry; an item whose description says `Blocked by: <ref>` waits in `blocked`
 * until every blocker is done. The package README shows this table; the code enforces it.
 */
export const TRANSITIONS: Readonly<Record<WorkItemStatus | 'none', readonly WorkItemStatus[]>> = {
  none: ['new'],
  new: ['waiting-clarification', 'blocked', 'queued', 'dispatched', 'failed', 'cancelled'],
  'waiting-clarification': ['new', 'blocked', 'queued', 'dispatched', 'failed', 'cancelled'],
  blocked: ['new', 'waiting-clarification', 'queued', 'dispatched', 'failed', 'cancelled'],
  queued: ['dispatched', 'cancelled'],
  dispatched: ['done', 'failed', 'cancelled', 'queued'],
  done: ['new'],
  failed: ['new'],
  cancelled: ['new'],
};

export class IllegalTransitionError extends Error {
  readonly from: WorkItemStatus | null;
  readonly to: WorkItemStatus;

  constructor(from: WorkItemStatus | null, to: WorkItemStatus) {
    super(`illegal transition ${from ?? 'none'} → ${to}`);
    this.from = from;
    this.to = to;
    this.name = 'IllegalTransitionError';
  }
}

export function canTransition(from: WorkItemStatus | null, to: WorkItemStatus): boolean {
  return TRANSITIONS[from ?? 'none'].includes(to);
}

export function assertTransition(from: WorkItemStatus | null, to: WorkItemStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
