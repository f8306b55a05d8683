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

/** The earliest moment the tick must look at the record again, from what it waits for. */
export function computeWakeAt(record: WorkItemRecord, settings: FactorySettings): number | undefined {
  const times: number[] = [];
  if (record.pending.length > 0) times.push(record.leaseUntil ?? record.updatedAt);
  switch (record.status) {
    case 'new':
      // Only stored as `new` when triage failed: retry it.
      times.push(record.updatedAt + settings.effectLease);
      break;
    case 'waiting-clarification':
      if (record.clarification) times.push(record.clarification.expiresAt);
      break;
    case 'queued':
      if (record.retryAt !== undefined) times.push(record.retryAt);
      break;
    case 'blocked':
      if (record.blockCheckAt !== undefined) times.push(record.blockCheckAt);
      break;
    case 'dispatched':
      // A ready output waiting for its merge is decided by a person, not by a timer.
      if (record.dispatch && record.output?.state !== 'ready') {
        const { dispatchedAt, exitedAt, checkAt } = record.dispatch;
        times.push(checkAt);
        times.push(
          exitedAt === undefined
            ? dispatchedAt + settings.agents.timeout
            : exitedAt + settings.agents.outputGrace,
        );
      }
      break;
    default:
      break;
  }
  return times.length > 0 ? Math.min(...times) : undefined;
}
