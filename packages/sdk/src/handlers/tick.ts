import type { TickEvent } from '../events.ts';
import { applyEvent } from '../machine/apply.ts';
import { afterWrite } from '../pipeline/after-write.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { routePool, TENANT_POOL } from '../pipeline/context.ts';
import { drain } from '../pipeline/drain.ts';
import { errorMessage } from '../pipeline/effects.ts';
import { lookUpOutput, outputOverdue } from '../pipeline/output-lookup.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';
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
  if (outputOverdue(context, due, context.clock.now())) await lookUpOutput(context, due, 'tick', result);
  const applied = await applyEvent(context, due.workItemId, { type: 'tick' }, result);
  if (applied.notes.triageError) result.errors.push(`${due.workItemId}: ${applied.notes.triageError}`);
  await afterWrite(context, applied, 'tick', result);
}

/** Frees slots whose holder does not hold them by its record (a crash between the two writes). */
async function repairSlots(context: HandlerContext, result: ResultBuilder): Promise<void> {
  const { store, tenant } = context;
  const pools = [
    TENANT_POOL,
    ...context.settings.routes
      .filter((route) => route.maxInFlight !== undefined)
      .map((route) => routePool(route.name)),
  ];
  const now = context.clock.now();
  for (const pool of pools) {
    for (const slot of await store.listSlots(tenant, pool)) {
      if (now - slot.acquiredAt < context.settings.effectLease) continue;
      const workItemId = slot.holder.includes('#')
        ? slot.holder.slice(0, slot.holder.lastIndexOf('#'))
        : slot.holder;
      const record = await store.getRecord(tenant, workItemId);
      const dispatch = record?.dispatch;
      if (
        record?.status === 'dispatched' &&
        dispatch?.slotHolder === slot.holder &&
        dispatch.pools.includes(pool)
      ) {
        continue;
      }
      // A release still in the outbox comes after the agent's release; freeing the slot now could start
      // the next agent while this one runs.
      if (
        record?.pending.some((effect) => effect.kind === 'release-slots' || effect.kind === 'release-agent')
      )
        continue;
      if (await store.releaseSlot(tenant, pool, slot.holder))
        result.effects.push(`repair release-slot ${pool} ${slot.holder}`);
    }
  }
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
