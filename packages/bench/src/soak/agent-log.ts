import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface AgentEvent {
  kind: 'start' | 'end';
  key: string;
  agentId: string;
  /** Nanoseconds since the epoch, as the agent's `date +%s%N` wrote it. */
  at: bigint;
}

/** Reads the agents' shared log as it grows, one complete line at a time. */
export class AgentLog {
  readonly events: AgentEvent[] = [];
  readonly #path: string;
  #offset = 0;
  #partial = '';

  constructor(path: string) {
    this.#path = path;
  }

  /** The events appended since the last call. */
  poll(): AgentEvent[] {
    let size: number;
    try {
      size = statSync(this.#path).size;
    } catch {
      return [];
    }
    if (size <= this.#offset) return [];
    const buffer = Buffer.alloc(size - this.#offset);
    const fd = openSync(this.#path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.#offset);
    } finally {
      closeSync(fd);
    }
    this.#offset = size;
    const text = this.#partial + buffer.toString('utf8');
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    const fresh = lines.flatMap((line) => parseLine(line));
    this.events.push(...fresh);
    return fresh;
  }
}

function parseLine(line: string): AgentEvent[] {
  const [kind, key, agentId, at] = line.trim().split(' ');
  if ((kind !== 'start' && kind !== 'end') || !key || !agentId || !at || !/^\d+$/.test(at)) return [];
  return [{ kind, key, agentId, at: BigInt(at) }];
}

/** The most agents running at one moment: starts and ends in time order (an end first on a tie). */
export function peakInFlight(events: readonly AgentEvent[]): number {
  const ordered = [...events].sort((a, b) =>
    a.at === b.at ? (a.kind === b.kind ? 0 : a.kind === 'end' ? -1 : 1) : a.at < b.at ? -1 : 1,
  );
  const running = new Set<string>();
  let peak = 0;
  for (const event of ordered) {
    if (event.kind === 'start') running.add(event.agentId);
    else running.delete(event.agentId);
    peak = Math.max(peak, running.size);
  }
  return peak;
}

/** How many agents were started for each work item key. */
export function startsPerKey(events: readonly AgentEvent[]): Map<string, number> {
  const starts = new Map<string, number>();
  for (const event of events)
    if (event.kind === 'start') starts.set(event.key, (starts.get(event.key) ?? 0) + 1);
  return starts;
}

/**
 * For each work item key whose agents ever overlapped, the most that ran at once: an item's agents
 * (its first attempt, retries, feedback rounds) must run one after the other.
 */
export function overlapsPerKey(events: readonly AgentEvent[]): Map<string, number> {
  const byKey = new Map<string, AgentEvent[]>();
  for (const event of events) byKey.set(event.key, [...(byKey.get(event.key) ?? []), event]);
  const overlaps = new Map<string, number>();
  for (const [key, mine] of byKey) {
    const peak = peakInFlight(mine);
    if (peak > 1) overlaps.set(key, peak);
  }
  return overlaps;
}
