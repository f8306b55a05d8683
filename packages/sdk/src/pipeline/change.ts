import { silentLogger } from '../ports/logger.ts';
import type { WorkItemRecord } from '../record.ts';
import { traceIdFor } from '../trace.ts';
import { type Committed, commitRecord, type Decision } from './commit.ts';
import type { HandlerContext } from './context.ts';
import { resumeEffects, runEffects } from './effects.ts';
import type { ResultBuilder } from './result.ts';
import type { SchedulePlan } from './schedule.ts';
import type { Loaded } from './schedule-store.ts';

/**
 * One step of a handler: decide and write the record's next version, then perform its effects (or take
 * over effects a crashed handler left behind). Everything it did goes into `result`.
 */
export async function change(
  context: HandlerContext,
  workItemId: string,
  result: ResultBuilder,
  decide: (current: WorkItemRecord | undefined, schedule: SchedulePlan) => Promise<Decision>,
  loaded?: Loaded,
): Promise<Committed> {
  context.trace?.leaveItem();
  const committed = await commitRecord(context, workItemId, decide, loaded);
  if (committed.record) context.trace?.enterItem(committed.record);
  const traceId = committed.record ? traceIdFor(context.tenant, workItemId, committed.record.run) : undefined;
  if (traceId) result.traceId ??= traceId;
  if (committed.wrote) {
    result.wrote = true;
    result.transitions.push(...(committed.draft?.transitions ?? []));
    if (context.logger !== silentLogger)
      context.logger.info('work item changed', {
        tenant: context.tenant,
        workItemId,
        status: committed.record?.status,
        reason: committed.reason,
        ...(traceId ? { traceId } : {}),
      });
  }
  const record = committed.record;
  if (!record || record.pending.length === 0) return committed;
  const ownsLease = record.leaseOwner === context.owner && (record.leaseUntil ?? 0) > context.clock.now();
  const outcome = ownsLease ? await runEffects(context, record) : await resumeEffects(context, record);
  if (outcome) {
    result.effects.push(...outcome.performed);
    if (outcome.error) result.errors.push(`${workItemId}: ${outcome.error}`);
    return { ...committed, record: outcome.record };
  }
  return committed;
}
