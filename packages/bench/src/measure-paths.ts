import { PATHS, type PathName, runCycle } from './event-cycle.ts';
import { mean, median, percentile } from './stats.ts';
import type { BenchTarget, Sample } from './targets/bench-target.ts';
import type { SignedRequest } from './vendor-payloads.ts';

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

/**
 * Another receiver measured beside the paths (the Probot peer): after every cycle, warm-up included, it
 * takes one delivery built for that cycle, timed as a path's event is (the request built before the
 * clock starts, `process.cpuUsage` around the call), so both are measured alike and in the same state
 * of the caches and the heap.
 */
export interface Beside {
  request(cycle: number): SignedRequest;
  receive(request: SignedRequest): Promise<void>;
}

/** What the receiver beside the paths cost per delivery. */
export interface BesideFigures {
  cpuMicros: number;
  wallMedianMs: number;
  calls: number;
}

/**
 * Runs `warmup` unrecorded cycles, then `cycles` recorded ones, and sums each path up (and the receiver
 * beside them, when there is one).
 */
export async function measurePaths(
  target: BenchTarget,
  options: { warmup: number; cycles: number; firstCycle?: number; beside?: Beside },
): Promise<{ paths: Record<PathName, PathFigures>; beside?: BesideFigures }> {
  const start = options.firstCycle ?? 0;
  const { beside } = options;
  for (let cycle = 0; cycle < options.warmup; cycle++) {
    await runCycle(target, start + cycle, () => {});
    if (beside) await timed(beside, start + cycle);
  }
  const samples = new Map<PathName, Sample[]>(PATHS.map((path) => [path, []]));
  const besideSamples: { cpuMicros: number; wallMs: number }[] = [];
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    await runCycle(target, start + options.warmup + cycle, (path, sample) => samples.get(path)?.push(sample));
    if (beside) besideSamples.push(await timed(beside, start + options.warmup + cycle));
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
  if (!beside) return { paths: figures };
  return {
    paths: figures,
    beside: {
      cpuMicros: mean(besideSamples.map((sample) => sample.cpuMicros)),
      wallMedianMs: median(besideSamples.map((sample) => sample.wallMs)),
      calls: besideSamples.length,
    },
  };
}

async function timed(beside: Beside, cycle: number): Promise<{ cpuMicros: number; wallMs: number }> {
  const request = beside.request(cycle);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await beside.receive(request);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { cpuMicros: used.user + used.system, wallMs };
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, count) => total + count, 0);
}
