/** The four seeds of the hash rounds; an id of n × 8 hex digits takes the first n. */
const SEEDS = [0x811c9dc5, 0x01000193, 0x9e3779b9, 0x85ebca6b];
/** Other seeds for the run's span id, so it shares nothing with the trace id's first digits. */
const SPAN_SEEDS = [0x9e3779b9, 0x811c9dc5];

/** Each byte's two hex digits: formatting a hash by table is a quarter of `toString(16)`'s cost. */
const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * `rounds` × 8 lowercase hex digits derived from `input`, never all zero (W3C trace and span ids may not
 * be): the same input gives the same id in every process, with nothing stored.
 */
export function derivedHexId(input: string, rounds: 2 | 4, seeds: readonly number[] = SEEDS): string {
  let id = '';
  for (let round = 0; round < rounds; round++) {
    let hash = (seeds[round] as number) >>> 0;
    for (let i = 0; i < input.length; i++) {
      hash ^= input.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
      hash = (hash ^ (hash >>> 13)) >>> 0;
    }
    id +=
      (HEX_BYTES[hash >>> 24] as string) +
      HEX_BYTES[(hash >>> 16) & 255] +
      HEX_BYTES[(hash >>> 8) & 255] +
      HEX_BYTES[hash & 255];
  }
  return /^0+$/.test(id) ? `${id.slice(0, -1)}1` : id;
}

/** A run's ids, once worked out; the span id only once something asks for it. */
interface RunIds {
  tenant: string;
  run: number;
  traceId: string;
  spanId?: string;
}

/**
 * The runs whose ids were asked for lately, by work item: one event asks for its run's ids for every
 * write, effect, span and log line it makes. Keyed by the work item's id as the record holds it, whose
 * hash the string keeps, rather than by a key built per call. Cleared when full; it only saves work.
 */
const MAX_REMEMBERED = 256;
const recentRuns = new Map<string, RunIds>();

function runIds(tenant: string, workItemId: string, run: number): RunIds {
  const known = recentRuns.get(workItemId);
  if (known !== undefined && known.run === run && known.tenant === tenant) return known;
  const ids: RunIds = { tenant, run, traceId: derivedHexId(`${tenant}\u0000${workItemId}\u0000${run}`, 4) };
  if (recentRuns.size >= MAX_REMEMBERED) recentRuns.clear();
  recentRuns.set(workItemId, ids);
  return ids;
}

/**
 * A W3C trace id (32 lowercase hex digits, not all zero) derived from the work item and its run, so every
 * handler invocation, fleet call and comment for one run carries the same id without storing it.
 */
export function traceIdFor(tenant: string, workItemId: string, run: number): string {
  return runIds(tenant, workItemId, run).traceId;
}

/** 16 hex digits, not all zero, from the run (another input and other seeds than the trace id's). */
export function runSpanIdFor(tenant: string, workItemId: string, run: number): string {
  const ids = runIds(tenant, workItemId, run);
  ids.spanId ??= derivedHexId(`span\u0000${tenant}\u0000${workItemId}\u0000${run}`, 2, SPAN_SEEDS);
  return ids.spanId;
}
