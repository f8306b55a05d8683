import { nextVersion } from '../machine/next-version.ts';
import type { SpawnedAgent } from '../ports/fleet-client.ts';
import type { PendingEffect, WorkItemRecord } from '../record.ts';
import { traceIdFor } from '../trace.ts';
import { breakerAllows, recordFleetFailure, recordFleetSuccess } from './breaker.ts';
import type { HandlerContext } from './context.ts';
import { renderComment } from './messages.ts';

/** What performing one effect learned that the record must keep. */
type EffectResult = { threadId: string; threadUrl?: string } | { agentId: string } | undefined;

export interface EffectsOutcome {
  record: WorkItemRecord;
  performed: string[];
  error?: string;
  /** True when every pending effect has run. */
  finished: boolean;
}

export function idempotencyKey(
  context: HandlerContext,
  record: WorkItemRecord,
  effect: PendingEffect,
): string {
  return `${context.tenant}/${record.workItemId}/r${record.run}/${effect.id}`;
}

/**
 * Performs the record's pending effects in order, recording each completion with compare-and-set.
 * Stops at the first failure (releasing the lease so the next delivery or tick resumes at once), or as
 * soon as another handler has taken the lease.
 */
export async function runEffects(context: HandlerContext, start: WorkItemRecord): Promise<EffectsOutcome> {
  let record = start;
  const performed: string[] = [];
  while (record.pending.length > 0 && record.leaseOwner === context.owner) {
    const effect = record.pending[0] as PendingEffect;
    let result: EffectResult;
    try {
      result = await perform(context, record, effect);
    } catch (error) {
      const message = `${effect.kind} failed: ${errorMessage(error)}`;
      context.logger.warn('effect failed', {
        tenant: context.tenant,
        workItemId: record.workItemId,
        effect: effect.id,
        traceId: traceIdFor(context.tenant, record.workItemId, record.run),
        error: errorMessage(error),
      });
      record = (await releaseLease(context, record)) ?? record;
      return { record, performed, error: message, finished: false };
    }
    performed.push(describe(effect, result));
    const completed = await recordCompletion(context, record, effect, result);
    if (!completed) return { record, performed, finished: false };
    record = completed;
  }
  return { record, performed, finished: record.pending.length === 0 };
}

async function perform(
  context: HandlerContext,
  record: WorkItemRecord,
  effect: PendingEffect,
): Promise<EffectResult> {
  const { store, tenant } = context;
  const options = {
    idempotencyKey: idempotencyKey(context, record, effect),
    traceId: traceIdFor(tenant, record.workItemId, record.run),
  };
  switch (effect.kind) {
    case 'set-state':
      await context.workItems.setState(record.item, effect.state, options);
      return undefined;
    case 'comment':
      await context.workItems.postComment(record.item, renderComment(effect.message, record), options);
      return undefined;
    case 'open-thread': {
      const thread = await context.clarifications.openThread(
        record.item,
        record.clarification?.question ?? '',
        options,
      );
      await store.putIndex(tenant, 'thread', thread.threadId, record.workItemId);
      return thread.url
        ? { threadId: thread.threadId, threadUrl: thread.url }
        : { threadId: thread.threadId };
    }
    case 'reply-thread': {
      const threadId = record.clarification?.threadId;
      if (threadId) await context.clarifications.reply(threadId, effect.text, options);
      return undefined;
    }
    case 'spawn': {
      const dispatch = record.dispatch;
      const route = record.route;
      if (!dispatch || !route) throw new Error('spawn without a dispatch plan');
      await store.putIndex(tenant, 'key', record.item.key.toUpperCase(), record.workItemId);
      const task = context.template.render(record.item, route, {
        branch: dispatch.branch,
        attempt: dispatch.attempt,
        answers: record.clarification?.answers ?? [],
        ...(record.clarification?.question ? { question: record.clarification.question } : {}),
      });
      const gate = await breakerAllows(context, dispatch.slotHolder);
      if (!gate.allowed)
        throw new Error(`the fleet circuit is open until ${new Date(gate.until).toISOString()}`);
      let agent: SpawnedAgent;
      try {
        agent = await context.fleet.spawn({
          idempotencyKey: dispatch.idempotencyKey,
          tenant,
          workItemId: record.workItemId,
          workItemKey: record.item.key,
          attempt: dispatch.attempt,
          route,
          branch: dispatch.branch,
          task,
          traceId: options.traceId,
        });
      } catch (error) {
        await recordFleetFailure(context, `spawn failed: ${errorMessage(error)}`).catch(() => {});
        throw error;
      }
      // Only a breaker that has seen failures needs writing back to healthy.
      if (!gate.healthy) await recordFleetSuccess(context);
      await store.putIndex(tenant, 'agent', agent.agentId, record.workItemId);
      return { agentId: agent.agentId };
    }
    case 'release-agent': {
      const agentId = effect.agentId || record.dispatch?.agentId;
      if (agentId) await context.fleet.release(agentId);
      return undefined;
    }
    case 'release-slots':
      for (const pool of effect.pools) await store.releaseSlot(tenant, pool, effect.holder);
      return undefined;
    case 'enqueue':
      if (record.queuedAt !== undefined)
        await store.enqueue(tenant, { workItemId: record.workItemId, enqueuedAt: record.queuedAt });
      return undefined;
    case 'dequeue':
      await store.dequeue(tenant, { workItemId: record.workItemId, enqueuedAt: effect.enqueuedAt });
      return undefined;
  }
}

/**
 * Removes the finished effect from the stored record and keeps its result. Another handler may have
 * changed the record meanwhile: the completion is merged into what is stored. Returns the stored record
 * when this call may go on, undefined when it must stop.
 */
async function recordCompletion(
  context: HandlerContext,
  ours: WorkItemRecord,
  effect: PendingEffect,
  result: EffectResult,
): Promise<WorkItemRecord | undefined> {
  const { store, tenant } = context;
  let current: WorkItemRecord | undefined = ours;
  for (let attempt = 0; attempt < 8 && current; attempt++) {
    if (!current.pending.some((pending) => pending.id === effect.id)) {
      await compensate(context, current, effect, result);
      return current.leaseOwner === context.owner ? current : undefined;
    }
    const completed = withResult(
      { ...current, pending: current.pending.filter((pending) => pending.id !== effect.id) },
      result,
    );
    const next = nextVersion(current, completed, 'keep', versionContext(context));
    if (await store.updateRecord(tenant, next, current.version)) {
      return next.leaseOwner === context.owner || next.pending.length === 0 ? next : undefined;
    }
    current = await store.getRecord(tenant, ours.workItemId);
  }
  return undefined;
}

/** The record with what the effect learned (a thread, an agent id) kept in it. */
function withResult(record: WorkItemRecord, result: EffectResult): WorkItemRecord {
  if (!result) return record;
  if ('threadId' in result && record.clarification) {
    const { threadId, threadUrl } = result;
    return {
      ...record,
      clarification: { ...record.clarification, threadId, ...(threadUrl ? { threadUrl } : {}) },
    };
  }
  if ('agentId' in result && record.dispatch)
    return { ...record, dispatch: { ...record.dispatch, agentId: result.agentId } };
  return record;
}

function versionContext(context: HandlerContext) {
  return { settings: context.settings, owner: context.owner, now: context.clock.now() };
}

/** An agent started for a dispatch that was cancelled meanwhile must not keep running. */
async function compensate(
  context: HandlerContext,
  current: WorkItemRecord,
  effect: PendingEffect,
  result: EffectResult,
): Promise<void> {
  if (effect.kind !== 'spawn' || !result || !('agentId' in result)) return;
  if (current.dispatch?.agentId === result.agentId) return;
  await context.fleet.release(result.agentId);
}

async function releaseLease(
  context: HandlerContext,
  record: WorkItemRecord,
): Promise<WorkItemRecord | undefined> {
  try {
    const current = await context.store.getRecord(context.tenant, record.workItemId);
    if (!current || current.leaseOwner !== context.owner) return current;
    const next = nextVersion(current, current, 'expire', versionContext(context), { touch: false });
    return (await context.store.updateRecord(context.tenant, next, current.version)) ? next : current;
  } catch {
    return undefined;
  }
}

function describe(effect: PendingEffect, result: EffectResult): string {
  switch (effect.kind) {
    case 'set-state':
      return `set-state ${effect.state}`;
    case 'comment':
      return `comment ${effect.message.type}`;
    case 'open-thread':
      return `open-thread ${result && 'threadId' in result ? result.threadId : ''}`.trim();
    case 'spawn':
      return `spawn ${result && 'agentId' in result ? result.agentId : ''}`.trim();
    case 'release-agent':
      return `release-agent ${effect.agentId}`;
    case 'release-slots':
      return `release-slots ${effect.pools.join(',')}`;
    default:
      return effect.kind;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Takes over effects that another handler left unfinished (it crashed, or its effect failed), once its
 * lease has run out. Only one claimant wins the compare-and-set.
 */
export async function resumeEffects(
  context: HandlerContext,
  record: WorkItemRecord,
): Promise<EffectsOutcome | undefined> {
  const now = context.clock.now();
  if (record.pending.length === 0 || (record.leaseUntil ?? 0) > now) return undefined;
  const claimed = nextVersion(record, record, 'take', { ...versionContext(context), now });
  if (!(await context.store.updateRecord(context.tenant, claimed, record.version))) return undefined;
  return runEffects(context, claimed);
}
