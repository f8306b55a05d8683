import type { WorkItemRecord } from '../record.ts';

/** The tenant document that holds the schedule; written only with compare-and-set, mostly by `commit`. */
export const SCHEDULE_DOCUMENT = 'schedule';

/** The fleet circuit breaker of one tenant. */
export interface BreakerState {
  state: 'closed' | 'open' | 'half-open';
  /** Consecutive fleet failures (spawn errors, lost agents, timeouts). */
  failures: number;
  openedAt?: number;
  /** When a probe may try the fleet again. */
  retryAt?: number;
  /** The dispatch (slot holder) that probes the fleet while half-open, and since when. */
  probe?: string;
  probeAt?: number;
  lastError?: string;
}

export const CLOSED_BREAKER: BreakerState = Object.freeze({ state: 'closed', failures: 0 });

/**
 * The schedule names at most this many queued items: the head of the line, in order. A tenant with
 * more (a backlog connected at once) keeps the rest as queued records only, and the drain refills the
 * head from them, so the document stays far below any store's largest value (DynamoDB's 400 KB) however
 * long the line grows.
 */
export const QUEUE_HEAD = 1000;
/**
 * The schedule names at most this many blocked items, for waking them the moment a blocker is done; the
 * others are woken by their own periodic check (`blockCheckAt`) at the tick.
 */
export const BLOCKED_NAMED = 500;

/** A queued item waiting for a slot, in arrival order. */
export interface ScheduledEntry {
  workItemId: string;
  /** The record's `queuedAt`: the queue is ordered by it, then by `workItemId`. */
  enqueuedAt: number;
  /** A retry may not start before this time (the record's `retryAt`), so a drain skips it unread. */
  retryAt?: number;
}

/**
 * What the tenant's items share, in one document: the queue, the slot holders of every pool, the
 * blocked items with what they wait for, and the fleet breaker. It is an index of the records, kept in
 * step with them by writing it in the same atomic `commit` as the record whose change changes it
 * (`reconcile` says how), so a dispatch reads its slots, its place in line and the breaker in the same
 * read as its record, and takes them in the same write. A value: never changed in place.
 */
export interface Schedule {
  queue: readonly ScheduledEntry[];
  /** pool → slot holder → when it took the slot. */
  slots: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** work item id → the blocker refs it waits for. */
  blocked: Readonly<Record<string, readonly string[]>>;
  breaker: BreakerState;
  /**
   * Set while queued items may exist that `queue` does not name (the line outgrew `QUEUE_HEAD`): when
   * the last one was left out. `queue` is then the line's first items in order, and every item left out
   * comes after its last; the drain refills it from the records, and clears this once the records show
   * none left out, read long enough after the last one that a lagging listing has caught up.
   */
  leftOut?: number;
}

/** The schedule as stored, with its version (0: not stored yet). */
export interface VersionedSchedule {
  value: Schedule;
  version: number;
}

export const EMPTY_SCHEDULE: Schedule = Object.freeze({
  queue: [],
  slots: {},
  blocked: {},
  breaker: CLOSED_BREAKER,
});

/** The work item a slot holder (`<workItemId>#r<run>a<attempt>`) belongs to. */
export function holderItem(holder: string): string {
  const mark = holder.lastIndexOf('#');
  return mark < 0 ? holder : holder.slice(0, mark);
}

/** `holderItem(holder) === workItemId`, without cutting a string out of every holder looked at. */
function holdsFor(holder: string, workItemId: string): boolean {
  const mark = holder.lastIndexOf('#');
  return mark < 0 ? holder === workItemId : mark === workItemId.length && holder.startsWith(workItemId);
}

/**
 * A copy of a map keyed by ids (slot holders), made without a prototype. Every holder's name is new, and
 * a plain object given a new name gets a new hidden class each time (and one more when frozen); an object
 * without a prototype is a dictionary from the start, so adding a holder costs what a map entry does.
 */
function keyedBy<T>(from: Readonly<Record<string, T>> | undefined): Record<string, T> {
  const copy: Record<string, T> = Object.create(null);
  for (const key in from) copy[key] = from[key] as T;
  return copy;
}

/** How many holders a pool's record has, counted without listing them. */
function holdersIn(holders: Readonly<Record<string, number>> | undefined): number {
  let count = 0;
  for (const _ in holders) count++;
  return count;
}

/** What one record claims in the schedule: its place in line, its blockers, its slots. */
function claimsOf(record: WorkItemRecord | undefined): {
  queued?: ScheduledEntry;
  blockedBy?: readonly string[];
  slots: { pool: string; holder: string }[];
} {
  if (!record) return { slots: [] };
  const slots: { pool: string; holder: string }[] = [];
  // A dispatch holds its slots; so does a finished one until its release-slots effect has run (after
  // its agent's release), so the next item cannot start while this agent still runs.
  if (record.status === 'dispatched' && record.dispatch)
    for (const pool of record.dispatch.pools) slots.push({ pool, holder: record.dispatch.slotHolder });
  for (const effect of record.pending)
    if (effect.kind === 'release-slots')
      for (const pool of effect.pools) slots.push({ pool, holder: effect.holder });
  return {
    ...(record.status === 'queued' && record.queuedAt !== undefined
      ? {
          queued: {
            workItemId: record.workItemId,
            enqueuedAt: record.queuedAt,
            ...(record.retryAt !== undefined ? { retryAt: record.retryAt } : {}),
          },
        }
      : {}),
    ...(record.status === 'blocked' ? { blockedBy: record.blockedBy ?? [] } : {}),
    slots,
  };
}

/** Whether the record holds `holder`'s slot in `pool` (by its dispatch, or a release still pending). */
export function claimsSlot(record: WorkItemRecord | undefined, pool: string, holder: string): boolean {
  return claimsOf(record).slots.some((slot) => slot.pool === pool && slot.holder === holder);
}

/**
 * The schedule with one item's entries made to match its record (`undefined`: no record): it is in the
 * queue exactly while queued, in `blocked` exactly while blocked, and holds exactly the slots its
 * dispatch and its pending releases name (a slot it newly holds is stamped `now`). Returns `schedule`
 * itself when nothing changes, so a caller can tell whether to write it.
 */
export function reconcile(
  schedule: Schedule,
  workItemId: string,
  record: WorkItemRecord | undefined,
  now: number,
): Schedule {
  const claims = claimsOf(record);
  const line = reconcileQueue(schedule, workItemId, claims.queued, now);
  const blocked = reconcileBlocked(schedule.blocked, workItemId, claims.blockedBy);
  const slots = reconcileSlots(schedule.slots, workItemId, claims.slots, now);
  if (
    line.queue === schedule.queue &&
    line.leftOut === schedule.leftOut &&
    blocked === schedule.blocked &&
    slots === schedule.slots
  )
    return schedule;
  // The common case, no items left out before or after, needs no rest copy.
  if (line.leftOut === undefined && schedule.leftOut === undefined)
    return { ...schedule, queue: line.queue, blocked, slots };
  const { leftOut: _, ...rest } = schedule;
  return {
    ...rest,
    queue: line.queue,
    blocked,
    slots,
    ...(line.leftOut !== undefined ? { leftOut: line.leftOut } : {}),
  };
}

/**
 * The line with the queued records' entries merged in (each as its record says now), kept to its first
 * `QUEUE_HEAD`: what the drain writes when the line had items left out. `settled` says the records were
 * listed long enough after the last item was left out to include it, so an empty remainder clears the mark.
 */
export function refilled(schedule: Schedule, queued: readonly WorkItemRecord[], settled: boolean): Schedule {
  const entries = new Map(schedule.queue.map((entry) => [entry.workItemId, entry]));
  for (const record of queued) {
    const entry = claimsOf(record).queued;
    if (entry && !entries.has(entry.workItemId)) entries.set(entry.workItemId, entry);
  }
  const line = [...entries.values()].sort(compareEntries);
  const { leftOut, ...rest } = schedule;
  const complete = line.length <= QUEUE_HEAD && settled;
  return {
    ...rest,
    queue: line.slice(0, QUEUE_HEAD),
    ...(complete || leftOut === undefined ? {} : { leftOut }),
  };
}

function reconcileQueue(
  schedule: Schedule,
  workItemId: string,
  wanted: ScheduledEntry | undefined,
  now: number,
): { queue: readonly ScheduledEntry[]; leftOut: number | undefined } {
  const { queue, leftOut } = schedule;
  // The item's entries, counted in one pass (a line may be a thousand long, and most items are not in it).
  let mine = 0;
  let first: ScheduledEntry | undefined;
  for (const entry of queue) {
    if (entry.workItemId !== workItemId) continue;
    mine++;
    first ??= entry;
  }
  const same =
    mine === (wanted ? 1 : 0) &&
    (!wanted || (first?.enqueuedAt === wanted.enqueuedAt && first?.retryAt === wanted.retryAt));
  if (same) return { queue, leftOut };
  const others = mine > 0 ? queue.filter((entry) => entry.workItemId !== workItemId) : queue;
  if (!wanted) return { queue: others, leftOut };
  const at = others.findIndex((entry) => compareEntries(wanted, entry) < 0);
  // With items left out, the line names only its head: an entry after its end belongs with them.
  if (at < 0 && leftOut !== undefined) return { queue: others, leftOut: now };
  const line = at < 0 ? [...others, wanted] : [...others.slice(0, at), wanted, ...others.slice(at)];
  if (line.length <= QUEUE_HEAD) return { queue: line, leftOut };
  return { queue: line.slice(0, QUEUE_HEAD), leftOut: now };
}

function compareEntries(a: ScheduledEntry, b: ScheduledEntry): number {
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt - b.enqueuedAt;
  return a.workItemId < b.workItemId ? -1 : a.workItemId > b.workItemId ? 1 : 0;
}

function reconcileBlocked(
  blocked: Schedule['blocked'],
  workItemId: string,
  wanted: readonly string[] | undefined,
): Schedule['blocked'] {
  const current = blocked[workItemId];
  if (wanted === undefined) {
    if (current === undefined) return blocked;
    const { [workItemId]: _gone, ...rest } = blocked;
    return rest;
  }
  if (current && current.join('\u0000') === wanted.join('\u0000')) return blocked;
  // Past the bound an item is not named; its own periodic check wakes it instead.
  if (current === undefined && Object.keys(blocked).length >= BLOCKED_NAMED) return blocked;
  return { ...blocked, [workItemId]: [...wanted] };
}

function reconcileSlots(
  slots: Schedule['slots'],
  workItemId: string,
  wanted: readonly { pool: string; holder: string }[],
  now: number,
): Schedule['slots'] {
  let next: Record<string, Readonly<Record<string, number>>> | undefined;
  const edit = (pool: string, change: (holders: Record<string, number>) => void) => {
    next ??= { ...slots };
    const holders = keyedBy(next[pool]);
    change(holders);
    if (holdersIn(holders) === 0) delete next[pool];
    else next[pool] = holders;
  };
  for (const pool in slots) {
    for (const holder in slots[pool]) {
      if (!holdsFor(holder, workItemId)) continue;
      if (wanted.some((slot) => slot.pool === pool && slot.holder === holder)) continue;
      edit(pool, (edited) => {
        delete edited[holder];
      });
    }
  }
  for (const { pool, holder } of wanted) {
    if (slots[pool]?.[holder] !== undefined) continue;
    edit(pool, (edited) => {
      edited[holder] ??= now;
    });
  }
  return next ?? slots;
}

/**
 * Whether `holder` may take a slot in every one of `pools` (each at most `limit` holders; a holder that
 * has its slot already keeps it). Returns the first full pool otherwise.
 */
export function roomFor(
  schedule: Schedule,
  pools: readonly { pool: string; limit: number }[],
  holder: string,
): { ok: true } | { ok: false; pool: string } {
  for (const { pool, limit } of pools) {
    const holders = schedule.slots[pool];
    if (holders?.[holder] !== undefined) continue;
    if (holdersIn(holders) >= limit) return { ok: false, pool };
  }
  return { ok: true };
}

/** How many holders `pool` has. */
export function heldIn(schedule: Schedule, pool: string): number {
  return holdersIn(schedule.slots[pool]);
}

/**
 * The schedule while one decision is made: `value` starts as the stored one and is replaced (never
 * changed) by what the decision takes, such as the breaker's half-open probe; `commit` then makes its
 * entries for the item match the record it writes.
 */
export interface SchedulePlan {
  readonly base: VersionedSchedule;
  value: Schedule;
}
