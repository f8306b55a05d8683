import { errorMessage } from '../error-message.ts';
import type { TickEvent } from '../events.ts';
import { applyEvent } from '../machine/apply.ts';
import { afterWrite } from '../pipeline/after-write.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { drain } from '../pipeline/drain.ts';
import {
  checkOutputInReview,
  lookUpOutput,
  outputOverdue,
  reviewCheckDue,
} from '../pipeline/output-lookup.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';
import { claimsSlot, holderItem } from '../pipeline/schedule.ts';
import { currentSchedule, repairEntries } from '../pipeline/schedule-store.ts';
import type { WorkItemRecord } from '../record.ts';

const DUE_BATCH = 100;
const MAX_DUE_BATCHES = 10;

/**
 * The safety net that replaces polling loops: finish effects a crash left behind, remind and expire
 * clarification waits, time out and health-check agents, retry failed triage, free leaked slots,
 * optionally look for outputs no event announced, and drain the queue.
 */
export async function onTick(context: HandlerContext, event: TickEvent): Promise<HandleResult> {
  const result = new ResultBuilder(event.type);
  const seen = new Set<string>();
  for (let batch = 0; batch < MAX_DUE_BATCHES; batch++) {
    const due = (await context.store.listDue(context.tenant, context.clock.now(), DUE_BATCH)).filter(
      (record) => !seen.has(record.workItemId),
    );
    if (due.length === 0) break;
    for (const record of due) {
      seen.add(record.workItemId);
      try {
        await tickRecord(context, record, result);
      } catch (error) {
        result.errors.push(`${record.workItemId}: ${errorMessage(error)}`);
      }
    }
  }
  if (context.settings.reconcile.outputs) await reconcileOutputs(context, result);
  await repairSlots(context, result);
  await drain(context, result);
  const changed = result.transitions.length;
  return result.finish(changed > 0 ? `${changed} transition(s)` : 'nothing due');
}

async function tickRecord(
  context: HandlerContext,
  due: WorkItemRecord,
  result: ResultBuilder,
): Promise<void> {
  // The last moment to find an output whose event was lost, before the attempt fails for want of one.
  const now = context.clock.now();
  if (outputOverdue(context, due, now)) await lookUpOutput(context, due, 'tick', result);
  else if (reviewCheckDue(due, now)) await checkOutputInReview(context, due, result);
  const applied = await applyEvent(context, due.workItemId, { type: 'tick' }, result);
  if (applied.notes.triageError) result.errors.push(`${due.workItemId}: ${applied.notes.triageError}`);
  await afterWrite(context, applied, 'tick', result);
}

/**
 * Frees slots that no record claims any more. Every write that changes what a record claims writes the
 * schedule with it, so this finds only what an older build or a lost schedule left behind; it looks
 * only at slots held longer than the effect lease.
 */
async function repairSlots(context: HandlerContext, result: ResultBuilder): Promise<void> {
  const now = context.clock.now();
  const { slots } = (await currentSchedule(context)).value;
  const stale = new Set<string>();
  for (const [pool, holders] of Object.entries(slots)) {
    for (const [holder, acquiredAt] of Object.entries(holders)) {
      if (now - acquiredAt < context.settings.effectLease) continue;
      const workItemId = holderItem(holder);
      const record = await context.store.getRecord(context.tenant, workItemId);
      if (claimsSlot(record, pool, holder)) continue;
      result.effects.push(`repair release-slot ${pool} ${holder}`);
      stale.add(workItemId);
    }
  }
  for (const workItemId of stale) await repairEntries(context, workItemId);
}

/**
 * Optional (`reconcile.outputs`): asks the output target about every running item's branch on every tick,
 * for deployments that want a sweep on top of the two targeted lookups.
 */
async function reconcileOutputs(context: HandlerContext, result: ResultBuilder): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await context.store.listRecords(context.tenant, {
      statuses: ['dispatched'],
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    for (const record of page.records) await lookUpOutput(context, record, 'tick', result);
    cursor = page.cursor;
  } while (cursor);
}
