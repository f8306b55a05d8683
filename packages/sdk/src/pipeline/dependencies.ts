import type { WorkItem } from '../work-item.ts';
import type { HandlerContext } from './context.ts';
import { SCHEDULE_DOCUMENT } from './schedule.ts';

const BLOCKED_BY = /^[ \t>*_-]*blocked by\s*:\s*(.+)$/gim;
const MAX_NODES = 100;

/** The refs (keys or URLs) listed on `Blocked by:` lines of a description. */
export function parseBlockers(description: string): string[] {
  const refs: string[] = [];
  for (const match of description.matchAll(BLOCKED_BY)) {
    for (const ref of (match[1] ?? '').split(/[,\s]+/)) {
      const clean = ref.replace(/^[[(<]+|[\])>.;:]+$/g, '').trim();
      if (clean && !refs.includes(clean)) refs.push(clean);
    }
  }
  return refs;
}

export interface DependencyCheck {
  /** Blockers not done yet, by key when the tracker knows them, with their state. */
  open: { ref: string; state: string }[];
  /** Set when following the blockers leads back to the item: the keys around the loop. */
  cycle?: string[];
}

/**
 * Whether the item may start: every blocker is done in the tracker (or the factory completed it).
 * Follows blockers of blockers to report a cycle instead of waiting on it forever.
 */
export async function checkDependencies(context: HandlerContext, item: WorkItem): Promise<DependencyCheck> {
  const refs = parseBlockers(item.description);
  if (refs.length === 0) return { open: [] };
  const open: DependencyCheck['open'] = [];
  for (const ref of refs) {
    const blocker = await context.workItems.getWorkItem(ref);
    if (blocker?.state === 'done') continue;
    const key = blocker?.key ?? ref;
    const factoryDone = await factoryCompleted(context, key);
    if (!factoryDone) open.push({ ref: key, state: blocker ? blocker.state : 'not found' });
  }
  if (open.length === 0) return { open };
  const cycle = await findCycle(context, item, refs);
  return cycle ? { open, cycle } : { open };
}

async function factoryCompleted(context: HandlerContext, key: string): Promise<boolean> {
  const lookup = { kind: 'key', value: key.toUpperCase() } as const;
  return (await context.store.find(context.tenant, lookup, SCHEDULE_DOCUMENT)).record?.status === 'done';
}

async function findCycle(
  context: HandlerContext,
  item: WorkItem,
  refs: string[],
): Promise<string[] | undefined> {
  const start = item.key.toUpperCase();
  const stack: { ref: string; path: string[] }[] = refs.map((ref) => ({ ref, path: [item.key] }));
  const visited = new Set<string>();
  while (stack.length > 0 && visited.size < MAX_NODES) {
    const { ref, path } = stack.pop() as { ref: string; path: string[] };
    const blocker = await context.workItems.getWorkItem(ref);
    const key = (blocker?.key ?? ref).toUpperCase();
    if (key === start) return [...path, item.key];
    if (visited.has(key) || !blocker) continue;
    visited.add(key);
    for (const next of parseBlockers(blocker.description))
      stack.push({ ref: next, path: [...path, blocker.key] });
  }
  return undefined;
}
