import type { TickEvent } from '../events.ts';
import { recordFleetFailure } from '../pipeline/breaker.ts';
import { change } from '../pipeline/change.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { routePool, TENANT_POOL } from '../pipeline/context.ts';
import { Draft } from '../pipeline/drafts.ts';
import { drain } from '../pipeline/drain.ts';
import { errorMessage } from '../pipeline/effects.ts';
import { clarificationClosed, clarificationReminder } from '../pipeline/messages.ts';
import { awaitingReview, lookUpOutput, outputOverdue } from '../pipeline/output-lookup.ts';
import { dropObsoleteEffects, evaluate, failAttempt } from '../pipeline/plan.ts';
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
  const now = context.clock.now();
  // The last moment to find an output whose event was lost, before the attempt fails for want of one.
  if (outputOverdue(context, due, now)) await lookUpOutput(context, due, 'tick', result);
  const fleetFaults: string[] = [];
  const exits: WorkItemRecord[] = [];
  const committed = await change(context, due.workItemId, result, async (current, slots) => {
    fleetFaults.length = 0;
    exits.length = 0;
    if (!current) return { ignore: 'gone' };
    const draft = Draft.from(current, now);
    switch (current.status) {
      case 'new': {
        if (current.updatedAt + context.settings.effectLease > now) return { ignore: 'triage retry not due' };
        const error = await evaluate(context, draft, slots, 'tick');
        if (error) result.errors.push(`${current.workItemId}: ${error}`);
        return { draft, reason: draft.record.reason };
      }
      case 'waiting-clarification': {
        const wait = draft.record.clarification;
        if (!wait || wait.expiresAt > now) return { ignore: 'wait not expired' };
        if (!wait.reminded) {
          Object.assign(wait, { reminded: true, expiresAt: now + context.settings.clarification.wait });
          draft.record.reason = 'reminded: no answer yet';
          draft.addEffects({ kind: 'reply-thread', text: clarificationReminder(wait.question) });
          return { draft, reason: 'reminded' };
        }
        const reason = 'nobody answered the clarification question';
        dropObsoleteEffects(draft);
        if (wait.threadId) draft.addEffects({ kind: 'reply-thread', text: clarificationClosed(reason) });
        draft
          .moveTo('failed', reason, 'tick')
          .addEffects({ kind: 'comment', message: { type: 'gave-up-waiting' } });
        return { draft, reason };
      }
      case 'blocked': {
        if ((current.blockCheckAt ?? 0) > now) return { ignore: 'blocker check not due' };
        const error = await evaluate(context, draft, slots, 'tick');
        if (error) result.errors.push(`${current.workItemId}: ${error}`);
        return { draft, reason: draft.record.reason };
      }
      case 'queued':
        if (draft.record.retryAt === undefined || draft.record.retryAt > now)
          return { ignore: 'retry not due' };
        delete draft.record.retryAt;
        return { draft, reason: 'retry due' };
      case 'dispatched':
        return checkAgent(context, draft, now, fleetFaults, exits);
      default:
        return { ignore: 'nothing due' };
    }
  });
  if (committed.wrote) {
    for (const fault of fleetFaults) await recordFleetFailure(context, fault);
    // The fleet says the agent exited successfully: the same moment as its exit event.
    if (exits.length > 0 && committed.record) await lookUpOutput(context, committed.record, 'tick', result);
  }
}

async function checkAgent(
  context: HandlerContext,
  draft: Draft,
  now: number,
  fleetFaults: string[],
  exits: WorkItemRecord[],
) {
  const dispatch = draft.record.dispatch;
  if (!dispatch) return { ignore: 'no dispatch' };
  if (awaitingReview(draft.record)) return { ignore: 'the output waits for review' };
  if (dispatch.exitedAt === undefined && now >= dispatch.dispatchedAt + context.settings.agents.timeout) {
    failAttempt(context, draft, 'the agent timed out', 'tick');
    fleetFaults.push('an agent timed out');
    return { draft, reason: draft.record.reason };
  }
  if (outputOverdue(context, draft.record, now)) {
    failAttempt(context, draft, 'the agent finished without a ready output', 'tick');
    return { draft, reason: draft.record.reason };
  }
  if (now < dispatch.checkAt) return { ignore: 'agent check not due' };
  dispatch.checkAt = now + context.settings.agents.checkInterval;
  if (!dispatch.agentId || dispatch.exitedAt !== undefined)
    return { draft, reason: 'agent check rescheduled' };
  const status = await context.fleet.status(dispatch.agentId);
  if (status.state === 'running') return { draft, reason: 'agent still running' };
  if (status.state === 'exited' && status.exitCode === 0) {
    Object.assign(dispatch, { exitedAt: now, exitCode: 0 });
    exits.push(draft.record);
    return { draft, reason: 'agent finished; waiting for its output' };
  }
  const reason =
    status.state === 'exited' ? `the agent exited with code ${status.exitCode}` : 'the fleet lost the agent';
  failAttempt(context, draft, reason, 'tick');
  if (status.state === 'unknown') fleetFaults.push(reason);
  return { draft, reason };
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
