/**
 * The tracker's view of a work item, normalised. Provider ids and field names stay inside the provider;
 * `state` is an abstract category every tracker can map to.
 */
export type WorkItemState = 'backlog' | 'todo' | 'in-progress' | 'in-review' | 'done' | 'cancelled';

export const WORK_ITEM_STATES: readonly WorkItemState[] = [
  'backlog',
  'todo',
  'in-progress',
  'in-review',
  'done',
  'cancelled',
];

export interface WorkItemSource {
  /** The provider's config name, e.g. the one named in `intentProvider`. */
  provider: string;
  externalId: string;
  url?: string;
}

export interface WorkItem {
  /** Stable id, unique within one tenant's intent provider. */
  id: string;
  /** The short human reference people type and branch names carry, e.g. `ENG-123`. */
  key: string;
  title: string;
  description: string;
  state: WorkItemState;
  labels: string[];
  team?: string;
  project?: string;
  /** ISO-8601 time of the change this snapshot reflects; orders deliveries that arrive out of order. */
  updatedAt: string;
  source: WorkItemSource;
  metadata: Record<string, unknown>;
}

/** The output an agent produces (a pull or merge request), normalised. */
export type OutputState = 'draft' | 'ready' | 'merged' | 'closed';

export interface OutputSnapshot {
  /** Stable id within the output provider, e.g. `owner/repo#12`. */
  id: string;
  url: string;
  state: OutputState;
  branch?: string;
  title?: string;
  body?: string;
  updatedAt?: string;
}

/** Compares two snapshot times; unparsable times compare as equal so nothing is dropped by accident. */
export function compareUpdatedAt(a: string, b: string): number {
  const left = Date.parse(a);
  const right = Date.parse(b);
  if (Number.isNaN(left) || Number.isNaN(right)) return a === b ? 0 : a < b ? -1 : 1;
  return Math.sign(left - right);
}
