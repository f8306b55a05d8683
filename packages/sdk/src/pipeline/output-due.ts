import type { WorkItemRecord } from '../record.ts';
import type { HandlerContext } from './context.ts';

/** The agent exited successfully and its grace for an output event is over. */
export function outputOverdue(context: HandlerContext, record: WorkItemRecord, now: number): boolean {
  const exitedAt = record.dispatch?.exitedAt;
  return (
    record.status === 'dispatched' &&
    exitedAt !== undefined &&
    now >= exitedAt + context.settings.agents.outputGrace &&
    !awaitingReview(record)
  );
}

/** A ready output waits for a person (completion on merge): no agent timeout or grace decides it. */
export function awaitingReview(record: WorkItemRecord): boolean {
  return record.output?.state === 'ready';
}

/** An output waits for review and its periodic read (`completion.checkInterval`) is due. */
export function reviewCheckDue(record: WorkItemRecord, now: number): boolean {
  return (
    record.status === 'dispatched' &&
    awaitingReview(record) &&
    record.dispatch !== undefined &&
    now >= record.dispatch.checkAt
  );
}
