import type { SeenOutput, WorkItemRecord } from '../record.ts';
import { compareUpdatedAt, type OutputSnapshot, type OutputState } from '../work-item.ts';

/** How many outputs a record remembers; older ones fall off first. */
const SEEN_LIMIT = 20;

/**
 * The order an output's changes take when several share one update time (code hosts stamp whole
 * seconds, and an agent may open a draft and mark it ready within one): draft, ready, then closed or
 * merged. At the same time, only a change further along this order is taken as the newer one.
 */
const FORWARD: Readonly<Record<OutputState, number>> = { draft: 0, ready: 1, closed: 2, merged: 2 };

function finished(state: OutputState): boolean {
  return state === 'closed' || state === 'merged';
}

/**
 * How `output` relates to the record's current attempt (the record is `dispatched`):
 * - `foreign`: it is not this attempt's output — another branch, an output closed or merged for an
 *   earlier attempt (or run), or one closed or merged before this attempt was dispatched;
 * - `stale`: the record already acted on a change of this output at least as new;
 * - `known`: the same change again (a redelivery), nothing to do;
 * - `newer-same-state`: the same state at a later time (e.g. new commits): only the time is kept;
 * - `apply`: act on it.
 */
export type OutputOrder =
  | { kind: 'foreign' | 'stale' | 'known'; reason: string }
  | { kind: 'newer-same-state' | 'apply' };

export function orderOutput(record: WorkItemRecord, output: OutputSnapshot): OutputOrder {
  const dispatch = record.dispatch;
  if (!dispatch) return { kind: 'apply' };
  if (output.branch !== undefined && output.branch !== dispatch.branch) {
    return {
      kind: 'foreign',
      reason: `${output.id} is on branch ${output.branch}, not on the attempt's branch ${dispatch.branch}`,
    };
  }
  const seen = record.seenOutputs?.find((entry) => entry.id === output.id);
  const current = seen !== undefined && seen.run === record.run && seen.attempt === dispatch.attempt;
  if (seen?.updatedAt !== undefined && output.updatedAt !== undefined) {
    const order = compareUpdatedAt(output.updatedAt, seen.updatedAt);
    if (order === 0 && output.state === seen.state && current)
      return { kind: 'known', reason: 'output state already known' };
    if (order < 0 || (order === 0 && FORWARD[output.state] <= FORWARD[seen.state])) {
      return {
        kind: 'stale',
        reason: `stale output event: ${output.id} ${output.state} at ${output.updatedAt} is not newer than the ${seen.state} at ${seen.updatedAt} already applied`,
      };
    }
  }
  if (seen && !current && finished(seen.state) && finished(output.state)) {
    return {
      kind: 'foreign',
      reason: `${output.id} was ${seen.state} for an earlier attempt (run ${seen.run}, attempt ${seen.attempt}), not this one`,
    };
  }
  if (!current && finished(output.state) && output.updatedAt !== undefined) {
    const at = Date.parse(output.updatedAt);
    if (!Number.isNaN(at) && at < dispatch.dispatchedAt) {
      return {
        kind: 'foreign',
        reason: `${output.id} was ${output.state} at ${output.updatedAt}, before this attempt was dispatched`,
      };
    }
  }
  const known = record.output;
  if (known?.id === output.id && known.state === output.state) {
    // Past the checks above, two times here mean the event is the later one.
    return current && seen.updatedAt !== undefined && output.updatedAt !== undefined
      ? { kind: 'newer-same-state' }
      : { kind: 'known', reason: 'output state already known' };
  }
  return { kind: 'apply' };
}

/** Remembers that the record acted on this change of `output` for its current attempt. */
export function rememberOutput(record: WorkItemRecord, output: OutputSnapshot): void {
  const earlier = record.seenOutputs?.find((entry) => entry.id === output.id);
  const updatedAt = output.updatedAt ?? earlier?.updatedAt;
  const entry: SeenOutput = {
    id: output.id,
    state: output.state,
    ...(updatedAt !== undefined ? { updatedAt } : {}),
    run: record.run,
    attempt: record.dispatch?.attempt ?? record.attempts,
  };
  const others = (record.seenOutputs ?? []).filter((seenOutput) => seenOutput.id !== output.id);
  record.seenOutputs = [...others, entry].slice(-SEEN_LIMIT);
}
