/**
 * The ids made lately: one event asks for its run's ids for every write, effect and log line it makes,
 * so each is worked out once. Cleared when full; it only saves work.
 */
const MAX_REMEMBERED = 256;
const remembered = new Map<string, string>();

/** The four seeds of the hash rounds; an id of n × 8 hex digits takes the first n. */
const SEEDS = [0x811c9dc5, 0x01000193, 0x9e3779b9, 0x85ebca6b];

/**
 * `rounds` × 8 lowercase hex digits derived from `input`, never all zero (W3C trace and span ids may not
 * be): the same input gives the same id in every process, with nothing stored.
 */
export function derivedHexId(input: string, rounds: 2 | 4, seeds: readonly number[] = SEEDS): string {
  const known = remembered.get(`${rounds}\u0000${input}`);
  if (known !== undefined) return known;
  let id = '';
  for (const seed of seeds.slice(0, rounds)) {
    let hash = seed >>> 0;
    for (let i = 0; i < input.length; i++) {
      hash ^= input.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
      hash = (hash ^ (hash >>> 13)) >>> 0;
    }
    id += hash.toString(16).padStart(8, '0');
  }
  const derived = /^0+$/.test(id) ? `${id.slice(0, -1)}1` : id;
  if (remembered.size >= MAX_REMEMBERED) remembered.clear();
  remembered.set(`${rounds}\u0000${input}`, derived);
  return derived;
}

/**
 * A W3C trace id (32 lowercase hex digits, not all zero) derived from the work item and its run, so every
 * handler invocation, fleet call and comment for one run carries the same id without storing it.
 */
export function traceIdFor(tenant: string, workItemId: string, run: number): string {
  return derivedHexId(`${tenant}\u0000${workItemId}\u0000${run}`, 4);
}
