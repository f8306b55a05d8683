import type { Draft } from '../machine/draft.ts';
import type { Decision } from '../machine/step.ts';
import type { Lookup, RecordCommit } from '../ports/state-store.ts';
import type { WorkItemRecord } from '../record.ts';
import type { HandlerContext } from './context.ts';
import { reconcile, SCHEDULE_DOCUMENT, type SchedulePlan, type VersionedSchedule } from './schedule.ts';
import { type Loaded, loadRecord, rememberSchedule } from './schedule-store.ts';

export type { Decision };

export interface Committed {
  /** The record as stored after this call (written by it, or as found when ignored). */
  record: WorkItemRecord | undefined;
  /** True when this call wrote the record. */
  wrote: boolean;
  reason: string;
  draft?: Draft;
}

/**
 * A conflict means another writer's version landed, so the loop always makes progress somewhere; the
 * bound is only a backstop. It must exceed the writes that can land between one read and its write
 * when a burst of deliveries races on one item (24 shuffled revisions plus the outbox's completions in
 * the concurrency tests take up to 8), or a delivery gives up (the sender retries it) although nothing
 * is wrong.
 */
const MAX_CONFLICTS = 16;
/**
 * A conflict on the schedule alone (the record is as it was) means another item's write landed: every
 * dispatch, queueing and release of the tenant writes the schedule, so a burst of N items can make one
 * lose N times while each round lets one through. Bounded separately, only as a backstop.
 */
const MAX_SCHEDULE_CONFLICTS = 256;

/**
 * Counts the conflicts of one write: after a failed attempt, the next read tells whether the record
 * moved (another write of this item) or only the schedule did (another item's).
 */
export class ConflictBudget {
  readonly #records: number;
  #recordConflicts = 0;
  #scheduleConflicts = 0;
  #expected: number | undefined;

  constructor(recordConflicts = MAX_CONFLICTS) {
    this.#records = recordConflicts;
  }

  /** Call with each read's record version; false once either bound is spent. */
  next(version: number): boolean {
    if (this.#expected !== undefined) {
      if (version !== this.#expected) this.#recordConflicts++;
      else this.#scheduleConflicts++;
    }
    this.#expected = version;
    return this.#recordConflicts < this.#records && this.#scheduleConflicts < MAX_SCHEDULE_CONFLICTS;
  }

  get spent(): string {
    return `${this.#recordConflicts} conflicting writes of the record and ${this.#scheduleConflicts} of the schedule`;
  }
}

/**
 * Reads the record and the schedule (one read; `loaded` when the caller read them already, through a
 * lookup), lets `decide` choose the next version, and writes it with the schedule's entries for the
 * item in one atomic compare-and-set (`writeRecord`); on a conflict it reads again and decides again, so
 * concurrent handlers never overwrite each other.
 */
export async function commitRecord(
  context: HandlerContext,
  workItemId: string,
  decide: (current: WorkItemRecord | undefined, schedule: SchedulePlan) => Promise<Decision>,
  loaded?: Loaded,
): Promise<Committed> {
  const budget = new ConflictBudget();
  let first = loaded;
  for (;;) {
    const { record: current, schedule } = first ?? (await loadRecord(context, workItemId));
    first = undefined;
    if (!budget.next(current?.version ?? 0))
      throw new Error(`work item ${workItemId}: gave up after ${budget.spent}`);
    const plan: SchedulePlan = { base: schedule, value: schedule.value };
    const decision = await decide(current, plan);
    if ('ignore' in decision) return { record: current, wrote: false, reason: decision.ignore };
    const next = decision.draft.seal(context);
    if (await writeRecord(context, current, next, plan)) {
      return { record: next, wrote: true, reason: decision.reason, draft: decision.draft };
    }
  }
}

/**
 * Writes `next` (the version after `current`) with what goes with it, in one `StateStore.commit`: the
 * schedule, when the record's change changes the item's entries (or the decision changed the breaker,
 * or no schedule is stored yet), the lookups that lead to it, and (the first time) the keys of the
 * delivery being handled, now that it changed something. False on a conflict of either.
 */
export async function writeRecord(
  context: HandlerContext,
  current: WorkItemRecord | undefined,
  next: WorkItemRecord,
  plan: { base: VersionedSchedule; value: VersionedSchedule['value'] },
): Promise<boolean> {
  const scheduled = reconcile(plan.value, next.workItemId, next, context.clock.now());
  const writesSchedule = scheduled !== plan.base.value || plan.base.version === 0;
  const lookups = lookupsFor(current, next);
  const delivery = context.delivery && !context.delivery.kept ? context.delivery : undefined;
  // Built field by field: a spread of a conditional object per field cost one object more each.
  const change: RecordCommit = { record: next };
  if (writesSchedule)
    change.document = { name: SCHEDULE_DOCUMENT, value: scheduled, expectedVersion: plan.base.version };
  if (lookups.length > 0) change.lookups = lookups;
  if (delivery) change.deliveries = delivery.keys;
  const stored = await context.store.commit(context.tenant, change);
  if (stored && delivery) delivery.kept = true;
  if (stored && writesSchedule)
    rememberSchedule(context, { value: scheduled, version: plan.base.version + 1 });
  return stored;
}

const NO_LOOKUPS: readonly Lookup[] = Object.freeze([]);

/**
 * The lookups a version newly makes true: its key once it is dispatched (an output names the item by
 * it), its thread once opened (a reply names the thread), its agent once spawned (an exit names the
 * agent). Written with the version, so a lookup never leads to a record that was not stored.
 */
function lookupsFor(current: WorkItemRecord | undefined, next: WorkItemRecord): readonly Lookup[] {
  const dispatch = next.dispatch;
  const dispatched =
    next.status === 'dispatched' &&
    dispatch !== undefined &&
    (current?.status !== 'dispatched' || current.dispatch?.attempt !== dispatch.attempt);
  const thread = next.clarification?.threadId;
  const newThread = thread !== undefined && thread !== '' && thread !== current?.clarification?.threadId;
  const agent = dispatch?.agentId;
  const newAgent = agent !== undefined && agent !== '' && agent !== current?.dispatch?.agentId;
  // Most versions make no lookup true: they share one empty list.
  if (!dispatched && !newThread && !newAgent) return NO_LOOKUPS;
  const lookups: Lookup[] = [];
  if (dispatched) lookups.push({ kind: 'key', value: next.item.key.toUpperCase() });
  if (newThread) lookups.push({ kind: 'thread', value: thread });
  if (newAgent) lookups.push({ kind: 'agent', value: agent });
  return lookups;
}
