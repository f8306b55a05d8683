import type { HistoryEntry, WorkItemRecord, WorkItemStatus } from '../record.ts';

/** The windows the dashboard plots over. */
export const PLOT_WINDOWS = {
  '24h': { spanMs: 24 * 3_600_000, buckets: 24 },
  '7d': { spanMs: 7 * 86_400_000, buckets: 7 },
  '30d': { spanMs: 30 * 86_400_000, buckets: 30 },
} as const;

export type PlotWindow = keyof typeof PLOT_WINDOWS;

export function isPlotWindow(value: string): value is PlotWindow {
  return Object.hasOwn(PLOT_WINDOWS, value);
}

/** A median and a 90th percentile of durations (ms); null where nothing was measured. */
export interface Spread {
  median: number | null;
  p90: number | null;
  count: number;
}

/**
 * The factory's numbers over a window, in equal buckets ending now: each array has one value per
 * bucket, the bucket starting at `starts[i]`.
 */
export interface FactoryPlots {
  window: PlotWindow;
  from: number;
  to: number;
  bucketMs: number;
  starts: number[];
  /** How many records the numbers were computed from. */
  records: number;
  done: number[];
  /** From the moment an item's run began (it became ready) to done, by the bucket it was done in. */
  leadTime: { median: (number | null)[]; p90: (number | null)[]; overall: Spread };
  /** Each wait for an answer that ended in the window, by the bucket it ended in. */
  clarification: {
    median: (number | null)[];
    overall: Spread;
    answered: number;
    unanswered: number;
  };
  agents: {
    started: number[];
    failed: number[];
    /** Failed attempts over attempts that ended, in the window; null when none ended. */
    failureRate: number | null;
    /** Attempts per item finished (done or failed) in the window; null when none finished. */
    perFinishedItem: number | null;
  };
  /** The most items queued at once in each bucket. */
  queueDepth: number[];
}

const TERMINAL: readonly WorkItemStatus[] = ['done', 'failed', 'cancelled'];

/** Computes the plots from the records themselves (their histories): no rollup is kept. */
export function factoryPlots(
  records: readonly WorkItemRecord[],
  window: PlotWindow,
  now: number,
): FactoryPlots {
  const { spanMs, buckets } = PLOT_WINDOWS[window];
  const bucketMs = spanMs / buckets;
  const from = now - spanMs;
  const starts = Array.from({ length: buckets }, (_, i) => from + i * bucketMs);
  const bucketOf = (at: number) =>
    at < from || at > now ? -1 : Math.min(buckets - 1, Math.floor((at - from) / bucketMs));
  const zeros = () => new Array<number>(buckets).fill(0);

  const done = zeros();
  const leadTimes: number[][] = starts.map(() => []);
  const waits: number[][] = starts.map(() => []);
  const started = zeros();
  const failed = zeros();
  const queued: [number, number][] = [];
  let answered = 0;
  let unanswered = 0;
  let attemptsEnded = 0;
  let attemptsFailed = 0;
  let finishedItems = 0;
  let attemptsOfFinished = 0;

  for (const record of records) {
    const history = record.history;
    let runStart = history[0]?.at ?? record.createdAt;
    let runAttempts = 0;
    for (let i = 0; i < history.length; i++) {
      const entry = history[i] as HistoryEntry;
      const next = history[i + 1];
      if (entry.from !== null && TERMINAL.includes(entry.from) && !TERMINAL.includes(entry.to)) {
        runStart = entry.at;
        runAttempts = 0;
      }
      const bucket = bucketOf(entry.at);
      if (entry.to === 'dispatched' && entry.from !== 'dispatched') {
        runAttempts++;
        if (bucket >= 0) started[bucket] = (started[bucket] ?? 0) + 1;
      }
      if (entry.from === 'dispatched' && entry.to !== 'dispatched' && bucket >= 0) {
        attemptsEnded++;
        if (entry.to === 'queued' || entry.to === 'failed') {
          attemptsFailed++;
          failed[bucket] = (failed[bucket] ?? 0) + 1;
        }
      }
      if (entry.from === 'waiting-clarification' && entry.to !== 'waiting-clarification' && bucket >= 0) {
        const asked = [...history.slice(0, i)].reverse().find((e) => e.to === 'waiting-clarification');
        if (asked) waits[bucket]?.push(entry.at - asked.at);
        if (entry.event === 'clarification.replied') answered++;
        else unanswered++;
      }
      if ((entry.to === 'done' || entry.to === 'failed') && entry.from !== entry.to && bucket >= 0) {
        finishedItems++;
        attemptsOfFinished += runAttempts;
        if (entry.to === 'done') {
          done[bucket] = (done[bucket] ?? 0) + 1;
          leadTimes[bucket]?.push(entry.at - runStart);
        }
      }
      // Queued from this entry until the next one (or for good, while it still is).
      if (entry.to === 'queued')
        queued.push([
          entry.at,
          next?.at ?? (record.status === 'queued' ? Number.POSITIVE_INFINITY : entry.at),
        ]);
    }
  }

  return {
    window,
    from,
    to: now,
    bucketMs,
    starts,
    records: records.length,
    done,
    leadTime: {
      median: leadTimes.map((values) => percentile(values, 0.5)),
      p90: leadTimes.map((values) => percentile(values, 0.9)),
      overall: spread(leadTimes.flat()),
    },
    clarification: {
      median: waits.map((values) => percentile(values, 0.5)),
      overall: spread(waits.flat()),
      answered,
      unanswered,
    },
    agents: {
      started,
      failed,
      failureRate: attemptsEnded > 0 ? attemptsFailed / attemptsEnded : null,
      perFinishedItem: finishedItems > 0 ? attemptsOfFinished / finishedItems : null,
    },
    queueDepth: deepestQueue(queued, from, bucketMs, buckets),
  };
}

/** The most items queued at once in each bucket, from the intervals each item spent queued. */
function deepestQueue(
  intervals: [number, number][],
  from: number,
  bucketMs: number,
  buckets: number,
): number[] {
  const changes = intervals
    .filter(([start, end]) => end > start)
    .flatMap(([start, end]): [number, number][] => [
      [start, 1],
      [end, -1],
    ])
    // At the same moment, one leaving comes before one joining: a hand-over is not two at once.
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const deepest = new Array<number>(buckets).fill(0);
  let depth = 0;
  let next = 0;
  for (let b = 0; b < buckets; b++) {
    const start = from + b * bucketMs;
    const end = start + bucketMs;
    while (next < changes.length && (changes[next] as [number, number])[0] <= start)
      depth += (changes[next++] as [number, number])[1];
    let most = depth;
    while (next < changes.length && (changes[next] as [number, number])[0] < end) {
      depth += (changes[next++] as [number, number])[1];
      most = Math.max(most, depth);
    }
    deepest[b] = most;
  }
  return deepest;
}

function spread(values: number[]): Spread {
  return { median: percentile(values, 0.5), p90: percentile(values, 0.9), count: values.length };
}

/** Nearest-rank percentile; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? null;
}
