import type { WritebackState } from '@software-factory/sdk';

/** The labels (or tags) the factory puts on a work item while it works on it; each one is optional. */
export interface LifecycleMarkers {
  inProgress?: string | undefined;
  needsReview?: string | undefined;
}

/**
 * Which markers a write-back puts on and takes off. One marker at a time says where the work is: in
 * progress while an agent works, needs review once its output is ready; both come off when the item is
 * done or the factory stops working on it.
 */
export function markerChanges(
  state: WritebackState,
  markers: LifecycleMarkers,
): { add: string[]; remove: string[] } {
  const present = (name: string | undefined): name is string => name !== undefined && name !== '';
  switch (state) {
    case 'dispatched':
      return { add: [markers.inProgress].filter(present), remove: [markers.needsReview].filter(present) };
    case 'needs-review':
      return markers.needsReview
        ? { add: [markers.needsReview], remove: [markers.inProgress].filter(present) }
        : { add: [], remove: [] };
    case 'done':
    case 'cancelled':
      return { add: [], remove: [markers.inProgress, markers.needsReview].filter(present) };
  }
}

/**
 * What is still missing on an item after a write-back: markers that should be on and are not, and
 * markers that should be off and are not. `same` compares names the way the vendor does.
 */
export function missingMarkers(
  labels: readonly string[],
  changes: { add: readonly string[]; remove: readonly string[] },
  same: (a: string, b: string) => boolean,
): string[] {
  const has = (name: string) => labels.some((label) => same(label, name));
  return [
    ...changes.add.filter((name) => !has(name)).map((name) => `label "${name}" is not on it`),
    ...changes.remove.filter((name) => has(name)).map((name) => `label "${name}" is still on it`),
  ];
}
