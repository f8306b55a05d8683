import type { WorkItemRecord } from '../record.ts';
import type { FactorySettings } from '../settings.ts';

/**
 * What a write does to the effect lease:
 * - `take`: this call performs the outbox now, so it holds the lease for `effectLease`;
 * - `keep`: the lease stays as it is (an effect completed, or nothing new to perform);
 * - `expire`: the lease ends now, so the next delivery or tick resumes the outbox at once.
 * A record with nothing pending holds no lease, whatever is asked.
 */
export type LeaseMove = 'take' | 'keep' | 'expire';

export interface VersionContext {
  settings: FactorySettings;
  /** The handler invocation that takes a lease. */
  owner: string;
  now: number;
}

/**
 * The one way a record's next version is made: `changed` (a new value built from `base`, which is never
 * touched) stored as version `base.version + 1`, stamped `now`, with its lease and `wakeAt` worked out
 * from what it now holds. `base` undefined: the record's first version.
 */
export function nextVersion(
  base: WorkItemRecord | undefined,
  changed: WorkItemRecord,
  lease: LeaseMove,
  context: VersionContext,
  options: { touch?: boolean } = {},
): WorkItemRecord {
  const { leaseUntil: _leaseUntil, leaseOwner: _leaseOwner, wakeAt: _wakeAt, ...rest } = changed;
  const next: WorkItemRecord = {
    ...rest,
    version: (base?.version ?? 0) + 1,
    updatedAt: options.touch === false ? changed.updatedAt : context.now,
  };
  if (next.pending.length > 0) {
    if (lease === 'take') {
      next.leaseUntil = context.now + context.settings.effectLease;
      next.leaseOwner = context.owner;
    } else {
      if (changed.leaseOwner !== undefined) next.leaseOwner = changed.leaseOwner;
      if (lease === 'expire') next.leaseUntil = context.now;
      else if (changed.leaseUntil !== undefined) next.leaseUntil = changed.leaseUntil;
    }
  }
  const wakeAt = computeWakeAt(next, context.settings);
  if (wakeAt !== undefined) next.wakeAt = wakeAt;
  return next;
}

/**
 * `nextVersion` for a value the caller made for this write alone and hands over (a draft's record, a
 * copy made for the completions), finished in place instead of copied again: the same fields, the same
 * values. When a lease field or `wakeAt` it holds must go (nothing is pending any more), it is copied as
 * `nextVersion` does, since removing a field from an object slows every later read of it.
 */
export function sealVersion(
  base: WorkItemRecord | undefined,
  owned: WorkItemRecord,
  lease: LeaseMove,
  context: VersionContext,
): WorkItemRecord {
  const pending = owned.pending.length > 0;
  // With something pending the record always has a `wakeAt` (its lease), so only then is nothing dropped.
  if (!pending && ('leaseUntil' in owned || 'leaseOwner' in owned || 'wakeAt' in owned))
    return nextVersion(base, owned, lease, context);
  owned.version = (base?.version ?? 0) + 1;
  owned.updatedAt = context.now;
  if (pending) {
    if (lease === 'take') {
      owned.leaseUntil = context.now + context.settings.effectLease;
      owned.leaseOwner = context.owner;
    } else if (lease === 'expire') owned.leaseUntil = context.now;
  }
  const wakeAt = computeWakeAt(owned, context.settings);
  if (wakeAt !== undefined) owned.wakeAt = wakeAt;
  return owned;
}

/** The earliest moment the tick must look at the record again, from what it waits for. */
export function computeWakeAt(record: WorkItemRecord, settings: FactorySettings): number | undefined {
  // The earliest of what it waits for, kept as it goes (no list of times is built).
  let earliest: number | undefined;
  const waitFor = (at: number) => {
    if (earliest === undefined || at < earliest) earliest = at;
  };
  if (record.pending.length > 0) waitFor(record.leaseUntil ?? record.updatedAt);
  switch (record.status) {
    case 'new':
      // Only stored as `new` when triage failed: retry it.
      waitFor(record.updatedAt + settings.effectLease);
      break;
    case 'waiting-clarification':
      if (record.clarification) waitFor(record.clarification.expiresAt);
      break;
    case 'queued':
      if (record.retryAt !== undefined) waitFor(record.retryAt);
      break;
    case 'blocked':
      if (record.blockCheckAt !== undefined) waitFor(record.blockCheckAt);
      break;
    case 'dispatched':
      if (!record.dispatch) break;
      waitFor(record.dispatch.checkAt);
      // A ready output waiting for its merge is decided by a person, not by a timer: only its check
      // (`checkAt`, every `completion.checkInterval`) wakes it.
      if (record.output?.state !== 'ready') {
        const { dispatchedAt, exitedAt } = record.dispatch;
        waitFor(
          exitedAt === undefined
            ? dispatchedAt + settings.agents.timeout
            : exitedAt + settings.agents.outputGrace,
        );
      }
      break;
    default:
      break;
  }
  return earliest;
}
