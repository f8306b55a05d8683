import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What a route's run left behind in the process, after a full garbage collection before and after. */
export interface MemoryGrowth {
  /** V8 heap in use. */
  heapBytes: number;
  /** The V8 heap reserved (in use or kept for later). */
  heapTotalBytes: number;
  /** Memory outside the heap that JavaScript holds: Buffers, ArrayBuffers (request bodies live here). */
  externalBytes: number;
  /** The whole process as the OS sees it. */
  rssBytes: number;
  /** The most `heapBytes + externalBytes` may grow by (see `memoryBounds`). */
  boundBytes: number;
  /** The most `rssBytes` may grow by; undefined when the allocator keeps freed memory (see `memoryBounds`). */
  rssBoundBytes?: number;
  /** False when no garbage collection could be forced: the figures then include garbage. */
  collected: boolean;
}

type Collect = (options?: { type?: string; execution?: string; flavor?: string }) => void;
let collect: Collect | undefined | null = null;

/** V8's garbage collector, exposed without `--expose-gc` on the command line (undefined if refused). */
function collector(): Collect | undefined {
  if (collect !== null) return collect;
  const exposed = (globalThis as { gc?: Collect }).gc;
  if (typeof exposed === 'function') collect = exposed;
  else {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Collect;
    } catch {
      collect = undefined;
    }
  }
  return collect;
}

/** Memory in use once everything unreachable has been collected and V8 gave back the pages it kept. */
export async function settledMemory(): Promise<{ usage: NodeJS.MemoryUsage; collected: boolean }> {
  const gc = collector();
  // Let finished requests' promises and streams settle before collecting.
  await new Promise((resolve) => setImmediate(resolve));
  gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  gc?.();
  return { usage: process.memoryUsage(), collected: gc !== undefined };
}

/** Whether glibc's malloc was told to give freed memory back (`npm run fuzz` sets both variables). */
export function allocatorReturnsMemory(): boolean {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  return (
    header?.glibcVersionRuntime !== undefined &&
    process.env.MALLOC_MMAP_THRESHOLD_ !== undefined &&
    process.env.MALLOC_TRIM_THRESHOLD_ !== undefined
  );
}

/**
 * How much a route's run may leave behind. What a run may rightly keep is bounded by design: the
 * throttle documents (at most 500 address buckets per tenant), the sessions document (at most 1,000
 * revoked ids), each under 100 KiB; the code V8 compiled and the caches it filled for the paths taken
 * (about 3 MiB the first time, well under 1 MiB after); and, for each webhook delivery the app accepted,
 * the state the factory keeps on purpose: the item's record, its two de-duplication keys, its index
 * entries and what the fakes remember (about 3 KiB measured). So:
 *
 * - heap in use + buffers: 8 MiB, plus 8 KiB per accepted delivery. A refused request may keep nothing:
 *   one leaked form body (4 KiB) per request would take 40 MiB over 10,000 cases, one webhook body
 *   (up to 1 MiB) per hundred oversized ones several hundred MiB, and a leak of a request object, a
 *   stream or a log line (about 1 KiB each) 10 MiB: each over the bound.
 * - the process's RSS: the same plus 24 MiB for what V8 and the allocator keep in whole pages, and only
 *   when glibc is told to return freed memory (MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ at
 *   128 KiB, as `npm run fuzz` sets them). Otherwise glibc keeps freed request buffers for reuse after
 *   the first large one (measured: 85 MiB after 10,000 streamed cases, the same after 30,000), which
 *   says nothing about the app, and RSS is reported without a bound.
 */
export function memoryBounds(accepted: number): { boundBytes: number; rssBoundBytes?: number } {
  const boundBytes = 8 * 1024 * 1024 + accepted * 8 * 1024;
  return {
    boundBytes,
    ...(allocatorReturnsMemory() ? { rssBoundBytes: boundBytes + 24 * 1024 * 1024 } : {}),
  };
}

export function growth(
  before: { usage: NodeJS.MemoryUsage; collected: boolean },
  after: { usage: NodeJS.MemoryUsage; collected: boolean },
  accepted: number,
): MemoryGrowth {
  return {
    heapBytes: after.usage.heapUsed - before.usage.heapUsed,
    heapTotalBytes: after.usage.heapTotal - before.usage.heapTotal,
    externalBytes: after.usage.external - before.usage.external,
    rssBytes: after.usage.rss - before.usage.rss,
    ...memoryBounds(accepted),
    collected: before.collected && after.collected,
  };
}

/** Why a run's memory is over its bounds, or undefined. */
export function overBounds(memory: MemoryGrowth): string | undefined {
  const retained = memory.heapBytes + memory.externalBytes;
  if (retained > memory.boundBytes)
    return `the run left ${mib(memory.heapBytes)} of heap and ${mib(memory.externalBytes)} of buffers behind, more than ${mib(memory.boundBytes)}`;
  if (memory.rssBoundBytes !== undefined && memory.rssBytes > memory.rssBoundBytes)
    return `the process grew by ${mib(memory.rssBytes)} (RSS), more than ${mib(memory.rssBoundBytes)}`;
  return undefined;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
