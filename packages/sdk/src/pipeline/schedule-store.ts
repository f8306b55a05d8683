import type { Lookup } from '../ports/state-store.ts';
import type { WorkItemRecord } from '../record.ts';
import { recordsOf } from '../record-listing.ts';
import type { HandlerContext } from './context.ts';
import {
  EMPTY_SCHEDULE,
  reconcile,
  SCHEDULE_DOCUMENT,
  type Schedule,
  type VersionedSchedule,
} from './schedule.ts';

/**
 * The schedule as this `handle` call last read or wrote it. Deciding a dispatch, running its effects and
 * draining the queue afterwards all ask the same document, so one call reads it once; every write of it
 * is still a compare-and-set on the stored version, so a stale copy only costs a re-read. Kept on the
 * call's context under a key of this module's own: a weak map keyed by every call's context cost an
 * entry (and the collector's work on it) per event.
 */
const KNOWN = Symbol('known schedule');
type Knowing = HandlerContext & { [KNOWN]?: VersionedSchedule };

const known = {
  get: (context: HandlerContext): VersionedSchedule | undefined => (context as Knowing)[KNOWN],
  set: (context: HandlerContext, schedule: VersionedSchedule): void => {
    (context as Knowing)[KNOWN] = schedule;
  },
};

export function rememberSchedule(context: HandlerContext, schedule: VersionedSchedule): void {
  known.set(context, schedule);
}

/** The record and the schedule in one read (`StateStore.load`). */
export async function loadRecord(context: HandlerContext, workItemId: string): Promise<Loaded> {
  const { record, document } = await context.store.load(context.tenant, workItemId, SCHEDULE_DOCUMENT);
  const schedule = document ? stored(document.value, document.version) : await rebuilt(context);
  known.set(context, schedule);
  return { record, schedule };
}

/** A record and the schedule as read together, so the first decision needs no read of its own. */
export interface Loaded {
  record: WorkItemRecord | undefined;
  schedule: VersionedSchedule;
}

/**
 * The record a lookup (thread, agent, key) leads to, with the schedule, in one read (`StateStore.find`);
 * undefined when the lookup leads nowhere.
 */
export async function findRecord(
  context: HandlerContext,
  lookup: Lookup,
): Promise<(Loaded & { workItemId: string }) | undefined> {
  const found = await context.store.find(context.tenant, lookup, SCHEDULE_DOCUMENT);
  if (found.workItemId === undefined) return undefined;
  const schedule = found.document
    ? stored(found.document.value, found.document.version)
    : await rebuilt(context);
  known.set(context, schedule);
  return { workItemId: found.workItemId, record: found.record, schedule };
}

/** The schedule as this call knows it, or as stored when it knows none yet. */
export async function currentSchedule(context: HandlerContext): Promise<VersionedSchedule> {
  return known.get(context) ?? readSchedule(context);
}

async function readSchedule(context: HandlerContext): Promise<VersionedSchedule> {
  const document = await context.store.getDocument(context.tenant, SCHEDULE_DOCUMENT);
  const schedule = document ? stored(document.value, document.version) : await rebuilt(context);
  known.set(context, schedule);
  return schedule;
}

/**
 * Changes the schedule alone, with compare-and-set, reading it again on a conflict: for what no record
 * write carries (the breaker's verdict on a spawn, the repair of an entry no record claims).
 */
export async function changeSchedule(
  context: HandlerContext,
  change: (current: Schedule) => Schedule,
): Promise<Schedule> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const current = attempt === 0 ? await currentSchedule(context) : await readSchedule(context);
    const next = change(current.value);
    if (next === current.value && current.version > 0) return next;
    if (await context.store.putDocument(context.tenant, SCHEDULE_DOCUMENT, next, current.version)) {
      known.set(context, { value: next, version: current.version + 1 });
      return next;
    }
  }
  throw new Error('the schedule changed under every attempt to write it; retry');
}

/**
 * The schedule's entries for one item made to match its stored record, written alone: for an entry no
 * record claims any more (or that a record claims but the schedule lost). The schedule is read before
 * the record, so any write that changed the item's entries in between also changed the schedule's
 * version, and this write's compare-and-set fails and looks again.
 */
export async function repairEntries(context: HandlerContext, workItemId: string): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const schedule = attempt === 0 ? await currentSchedule(context) : await readSchedule(context);
    const record = await context.store.getRecord(context.tenant, workItemId);
    const next = reconcile(schedule.value, workItemId, record, context.clock.now());
    if (next === schedule.value && schedule.version > 0) return;
    if (await context.store.putDocument(context.tenant, SCHEDULE_DOCUMENT, next, schedule.version)) {
      known.set(context, { value: next, version: schedule.version + 1 });
      return;
    }
  }
  throw new Error(`work item ${workItemId}: the schedule changed under every attempt to repair it; retry`);
}

function stored(value: unknown, version: number): VersionedSchedule {
  const schedule = value as Partial<Schedule>;
  // A schedule as the core writes it has every field: taken as it is (a value, never changed in place).
  // One from an older build may lack a field, which gets its empty default.
  if (schedule.queue && schedule.slots && schedule.blocked && schedule.breaker)
    return { value: schedule as Schedule, version };
  return { value: { ...EMPTY_SCHEDULE, ...schedule }, version };
}

/**
 * A tenant without a schedule document (new, or its state written before the schedule existed) gets
 * one built from its records, which hold everything it indexes, and stored at once (version 0: only if
 * nobody stored one meanwhile), so a new tenant pays one listing, once: left to the first commit, every
 * read until then would list the records again, and a tenant whose deliveries are all ignored (items
 * not ready) commits nothing. Every write of the schedule is a compare-and-set on its version, and every
 * commit writes it while none is stored, so a record stored between the listing and this write makes
 * this write fail, and a record stored after it is reconciled into it by its own commit. Best effort:
 * unstored (a conflict, the store failing), the schedule is returned unstored (version 0), as before.
 */
async function rebuilt(context: HandlerContext): Promise<VersionedSchedule> {
  let schedule = EMPTY_SCHEDULE;
  const now = context.clock.now();
  for (const record of await recordsOf(context.store, context.tenant))
    schedule = reconcile(schedule, record.workItemId, record, record.dispatch?.dispatchedAt ?? now);
  const stored = await context.store
    .putDocument(context.tenant, SCHEDULE_DOCUMENT, schedule, 0)
    .catch(() => false);
  return { value: schedule, version: stored ? 1 : 0 };
}
