import { FIRST, MACHINE } from './machine/table.ts';
import { WORK_ITEM_STATUSES, type WorkItemStatus } from './record.ts';

/**
 * The only status changes the factory makes, derived from the machine's table (`machine/table.ts`):
 * from each status, every status one of its cells may move to. `none` is "no record yet". A finished
 * item that becomes ready again starts a new run through `new`; an answered question whose re-triage
 * failed goes back to `new` for the tick to retry; an item whose description says `Blocked by: <ref>`
 * waits in `blocked` until every blocker is done. The package README shows this table; a test checks it.
 */
export const TRANSITIONS: Readonly<Record<WorkItemStatus | 'none', readonly WorkItemStatus[]>> =
  Object.freeze(
    Object.fromEntries([
      ['none', [...FIRST['work-item.changed'].to]],
      ...WORK_ITEM_STATUSES.map((from) => {
        const targets = Object.values(MACHINE[from]).flatMap((entry) => entry?.to ?? []);
        return [from, WORK_ITEM_STATUSES.filter((to) => to !== from && targets.includes(to))];
      }),
    ]) as Record<WorkItemStatus | 'none', readonly WorkItemStatus[]>,
  );

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
