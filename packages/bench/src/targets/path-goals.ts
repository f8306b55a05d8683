import { PATHS, type PathName } from '../event-cycle.ts';
import type { PathFigures } from '../measure-paths.ts';
import type { GoalCheck } from './goals.ts';

/** Store round trips a path may cost: a duplicate one (recognised), every other at most four. */
export const STORE_ROUND_TRIPS: Record<PathName, number> = {
  'new item dispatched': 4,
  'duplicate delivery': 1,
  'PR complete': 4,
  'clarification asked': 4,
  reply: 4,
};
/** In-memory CPU per event over the Probot peer's verify-and-receive of the same pull request. */
export const CPU_OVER_PEER = 3;
/** The same on the path the peer does itself (a pull request event): tighter. */
export const PR_COMPLETE_CPU_OVER_PEER = 2;

/** The stores a run measured, each path's figures. */
export type StoreFigures = Readonly<Record<string, { paths: Record<PathName, PathFigures> }>>;

/**
 * Issue 23's per-event goals: every store's round trips per path within `STORE_ROUND_TRIPS`, and the
 * in-memory store's CPU per event within `CPU_OVER_PEER` (PR complete: `PR_COMPLETE_CPU_OVER_PEER`) of the
 * peer measured in the same run.
 */
export function pathGoals(stores: StoreFigures, peer: { cpuMicros: number } | undefined): GoalCheck[] {
  const checks: GoalCheck[] = [];
  for (const path of PATHS) {
    const bound = STORE_ROUND_TRIPS[path];
    const worst = Object.entries(stores)
      .map(([store, figures]) => ({ store, calls: figures.paths[path].storeCallsTotal }))
      .sort((a, b) => b.calls - a.calls)[0];
    if (!worst) continue;
    checks.push({
      goal: `${path}: store round trips`,
      bound: `≤ ${bound} on every store`,
      measured: `${worst.calls} (${worst.store}, the most of ${Object.keys(stores).length})`,
      met: worst.calls <= bound,
    });
  }
  const inMemory = stores['in-memory'];
  if (!inMemory || !peer) return checks;
  for (const path of PATHS) {
    if (path === 'duplicate delivery') continue;
    const bound = path === 'PR complete' ? PR_COMPLETE_CPU_OVER_PEER : CPU_OVER_PEER;
    const ratio = inMemory.paths[path].cpuMicros / peer.cpuMicros;
    checks.push({
      goal: `${path}: in-memory CPU per event / Probot peer`,
      bound: `≤ ${bound}×`,
      measured: `${ratio.toFixed(1)}× (${inMemory.paths[path].cpuMicros.toFixed(0)} of ${peer.cpuMicros.toFixed(0)} µs)`,
      met: ratio <= bound,
    });
  }
  return checks;
}
