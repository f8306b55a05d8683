import { PATHS, type PathName, runCycle } from './event-cycle.ts';
import { mean, median, percentile } from './stats.ts';
import type { BenchTarget, Sample } from './targets/bench-target.ts';

export interface PathFigures {
  /** Mean CPU per event, microseconds (means stay exact when one reading is coarser than an event). */
  cpuMicros: number;
  wallMedianMs: number;
  wallP95Ms: number;
  /** StateStore calls of one event (they are the same every cycle; the last is kept). */
  storeCalls: Record<string, number>;
  storeCallsTotal: number;
  wireRequests?: Record<string, number>;
  wireRequestsTotal?: number;
  events: number;
}

/** Runs `warmup` unrecorded cycles, then `cycles` recorded ones, and sums each path up. */
export async function measurePaths(
  target: BenchTarget,
  options: { warmup: number; cycles: number; firstCycle?: number },
): Promise<Record<PathName, PathFigures>> {
  const start = options.firstCycle ?? 0;
  for (let cycle = 0; cycle < options.warmup; cycle++) await runCycle(target, start + cycle, () => {});
  const samples = new Map<PathName, Sample[]>(PATHS.map((path) => [path, []]));
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    await runCycle(target, start + options.warmup + cycle, (path, sample) => samples.get(path)?.push(sample));
  }
  const figures = {} as Record<PathName, PathFigures>;
  for (const path of PATHS) {
    const list = samples.get(path) ?? [];
    const last = list.at(-1);
    const walls = list.map((sample) => sample.wallMs);
    const storeCalls = last?.storeCalls ?? {};
    figures[path] = {
      cpuMicros: mean(list.map((sample) => sample.cpuMicros)),
      wallMedianMs: median(walls),
      wallP95Ms: percentile(walls, 0.95),
      storeCalls,
      storeCallsTotal: sum(storeCalls),
      ...(last?.wireRequests
        ? { wireRequests: last.wireRequests, wireRequestsTotal: sum(last.wireRequests) }
        : {}),
      events: list.length,
    };
  }
  return figures;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, count) => total + count, 0);
}
