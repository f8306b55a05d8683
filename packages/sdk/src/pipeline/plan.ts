import { errorMessage } from '../error-message.ts';
import type { Draft } from '../machine/draft.ts';
import type { RouteDecision } from '../ports/triage.ts';
import { BREAKER_POOL, gate } from './breaker.ts';
import type { HandlerContext } from './context.ts';
import { routePool, TENANT_POOL } from './context.ts';
import { checkDependencies, type DependencyCheck } from './dependencies.ts';
import { clarificationAcknowledgement, clarificationClosed } from './messages.ts';
import { roomFor, type SchedulePlan } from './schedule.ts';

const DEFAULT_QUESTION = 'What exactly should change, and how will we know it is done?';

/** The slots a dispatch on `route` must hold: the route's own pool (if it has a limit), then the tenant's. */
export function poolsFor(context: HandlerContext, route: RouteDecision): { pool: string; limit: number }[] {
  const pools = [{ pool: TENANT_POOL, limit: context.settings.limits.maxInFlight }];
  if (route.maxInFlight !== undefined)
    pools.unshift({ pool: routePool(route.name), limit: route.maxInFlight });
  return pools;
}

/**
 * Drops what a status left behind unperformed that makes no sense once the item leaves it. A pending
 * spawn stays: it may already have started an agent (a crash or a race), and only the spawn, which is
 * idempotent, can say which one, so that `stopAgent` releases it.
 */
export function dropObsoleteEffects(draft: Draft): void {
  draft.record.pending = draft.record.pending.filter(
    (effect) =>
      !['open-thread', 'reply-thread', 'set-state', 'enqueue'].includes(effect.kind) &&
      !(effect.kind === 'comment' && ['clarification-asked', 'dispatched'].includes(effect.message.type)),
  );
}

/**
 * Releases the dispatch's agent, then its slots: in that order, so the next item cannot start while this
 * agent still runs.
 */
export function stopAgent(draft: Draft): void {
  const dispatch = draft.record.dispatch;
  if (!dispatch) return;
  const spawnPending = draft.record.pending.some((effect) => effect.kind === 'spawn');
  if (dispatch.agentId || spawnPending)
    draft.addEffects({ kind: 'release-agent', agentId: dispatch.agentId ?? '' });
  draft.addEffects({ kind: 'release-slots', pools: dispatch.pools, holder: dispatch.slotHolder });
}

/**
 * Moves the draft to `dispatched` when the breaker lets it and every pool it needs has room in the
 * schedule; the write that stores it takes its slots (and the breaker's probe, if it claims it) in the
 * same step. Returns the full pool otherwise.
 */
export function tryDispatch(
  context: HandlerContext,
  draft: Draft,
  schedule: SchedulePlan,
  event: string,
): { dispatched: true } | { dispatched: false; fullPool: string } {
  const record = draft.record;
  const route = record.route;
  if (!route) throw new Error(`work item ${record.workItemId}: dispatch without a route`);
  const pools = poolsFor(context, route);
  const attempt = record.attempts + 1;
  const slotHolder = `${record.workItemId}#r${record.run}a${attempt}`;
  const now = context.clock.now();
  const breaker = gate(schedule.value.breaker, slotHolder, now, context.settings.breaker.cooldown);
  if (!breaker.allowed) {
    return {
      dispatched: false,
      fullPool: `${BREAKER_POOL} (until ${new Date(breaker.until).toISOString()})`,
    };
  }
  const room = roomFor(schedule.value, pools, slotHolder);
  if (!room.ok) return { dispatched: false, fullPool: room.pool };
  if (breaker.claim) {
    schedule.value = { ...schedule.value, breaker: breaker.claim };
    context.logger.warn('fleet circuit half-open: probing', { tenant: context.tenant, probe: slotHolder });
  }

  record.attempts = attempt;
  record.dispatch = {
    attempt,
    idempotencyKey: `${context.tenant}/${record.workItemId}/r${record.run}/a${attempt}`,
    branch: context.template.branchName(record.item),
    pools: pools.map((entry) => entry.pool),
    slotHolder,
    dispatchedAt: now,
    checkAt: now + context.settings.agents.checkInterval,
  };
  delete record.queuedAt;
  delete record.retryAt;
  delete record.output;
  draft.moveTo(
    'dispatched',
    attempt === 1 ? `dispatched to ${route.name}` : `attempt ${attempt} dispatched`,
    event,
  );
  if (attempt === 1) {
    draft.addEffects(
      { kind: 'set-state', state: 'dispatched' },
      { kind: 'spawn' },
      { kind: 'comment', message: { type: 'dispatched' } },
    );
  } else {
    // A retry may follow a review marker (needs-review): show the item as worked on again.
    draft.addEffects({ kind: 'set-state', state: 'dispatched' }, { kind: 'spawn' });
  }
  return { dispatched: true };
}

/** Queues the draft: the write that stores it puts it in the schedule's queue in the same step. */
export function queue(context: HandlerContext, draft: Draft, reason: string, event: string): void {
  draft.record.queuedAt = context.clock.now();
  draft.moveTo('queued', reason, event);
}

/**
 * Dispatches a newly decided item, or queues it behind the items already waiting (arrival order) or
 * when no slot is free.
 */
export function dispatchOrQueue(
  context: HandlerContext,
  draft: Draft,
  schedule: SchedulePlan,
  event: string,
): void {
  const first = schedule.value.queue[0];
  // An empty head with items left out still has a line: they come first.
  const behind = first ? first.workItemId !== draft.record.workItemId : schedule.value.leftOut !== undefined;
  if (behind) {
    queue(context, draft, 'queued behind earlier items', event);
    return;
  }
  const outcome = tryDispatch(context, draft, schedule, event);
  if (!outcome.dispatched) queue(context, draft, `no free slot in ${outcome.fullPool}`, event);
}

export type EvaluateOptions = {
  /** False when re-triaging an edit while waiting: dispatch if now clear, but do not ask again. */
  mayAsk: boolean;
};

/**
 * Triage the draft's item and act on the decision: ask, dispatch, queue or fail. Returns the triage
 * error, if triage itself failed (the draft is then left in `new` for the tick to retry).
 */
export async function evaluate(
  context: HandlerContext,
  draft: Draft,
  schedule: SchedulePlan,
  event: string,
  options: EvaluateOptions = { mayAsk: true },
): Promise<string | undefined> {
  const record = draft.record;
  const dependencies = await checkDependencies(context, record.item);
  if (dependencies.cycle) {
    const reason = `dependency cycle: ${dependencies.cycle.join(' → ')}`;
    dropObsoleteEffects(draft);
    if (record.clarification?.threadId)
      draft.addEffects({ kind: 'reply-thread', text: clarificationClosed(reason) });
    draft
      .moveTo('failed', reason, event)
      .addEffects({ kind: 'comment', message: { type: 'failed', reason } });
    return undefined;
  }
  if (dependencies.open.length > 0) {
    park(context, draft, dependencies.open, event);
    return undefined;
  }
  delete record.blockedBy;
  delete record.blockCheckAt;
  let decision: Awaited<ReturnType<HandlerContext['triage']['triage']>>;
  try {
    decision = await context.triage.triage({
      item: record.item,
      answers: record.clarification?.answers ?? [],
    });
  } catch (error) {
    const message = `triage failed: ${errorMessage(error)}`;
    if (record.status === 'new') record.reason = message;
    else if (record.status === 'waiting-clarification' || record.status === 'blocked')
      draft.moveTo('new', message, event);
    return message;
  }
  const wasWaiting =
    record.status === 'waiting-clarification' ||
    (record.status === 'new' && record.clarification !== undefined);
  if (!decision.route) {
    dropObsoleteEffects(draft);
    const reason = `no route matches (${decision.reasons.join('; ') || 'no rule applies'})`;
    if (wasWaiting && record.clarification?.threadId)
      draft.addEffects({ kind: 'reply-thread', text: clarificationClosed(reason) });
    draft
      .moveTo('failed', reason, event)
      .addEffects({ kind: 'comment', message: { type: 'failed', reason } });
    return undefined;
  }
  record.route = decision.route;
  const rounds = record.clarification?.rounds ?? 0;
  const unclear = decision.confidence < context.settings.clarification.confidenceThreshold;
  if (unclear && rounds < context.settings.clarification.maxRounds) {
    if (options.mayAsk) ask(context, draft, decision.question ?? DEFAULT_QUESTION, event);
    else record.reason = `still unclear (confidence ${decision.confidence.toFixed(2)})`;
    return undefined;
  }
  if (wasWaiting && record.clarification?.threadId) {
    draft.addEffects({ kind: 'reply-thread', text: clarificationAcknowledgement() });
  }
  dispatchOrQueue(context, draft, schedule, event);
  return undefined;
}

function ask(context: HandlerContext, draft: Draft, question: string, event: string): void {
  const record = draft.record;
  const now = context.clock.now();
  const expiresAt = now + context.settings.clarification.wait;
  const existing = record.clarification;
  if (existing?.threadId || (existing && record.pending.some((effect) => effect.kind === 'open-thread'))) {
    const rounds = existing.rounds + 1;
    record.clarification = { ...existing, question, rounds, askedAt: now, expiresAt, reminded: false };
    if (record.status !== 'waiting-clarification')
      draft.moveTo('waiting-clarification', `asked again (round ${rounds})`, event);
    else record.reason = `asked again (round ${rounds})`;
    draft.addEffects({ kind: 'reply-thread', text: question });
    return;
  }
  record.clarification = {
    question,
    askedAt: now,
    expiresAt,
    rounds: 1,
    reminded: false,
    answers: existing?.answers ?? [],
  };
  draft.moveTo('waiting-clarification', 'unclear: asked for clarification', event);
  draft.addEffects({ kind: 'open-thread' });
  if (!context.clarifications.asksOnWorkItem) {
    draft.addEffects({ kind: 'comment', message: { type: 'clarification-asked' } });
  }
}

/** Waits for open blockers; says so on the item once per change of the set it waits for. */
function park(context: HandlerContext, draft: Draft, open: DependencyCheck['open'], event: string): void {
  const record = draft.record;
  const blockers = open.map((blocker) => blocker.ref);
  const described = open.map((blocker) => `${blocker.ref} (${blocker.state})`);
  record.blockCheckAt = context.clock.now() + context.settings.agents.checkInterval;
  const same = record.status === 'blocked' && record.blockedBy?.join('\u0000') === blockers.join('\u0000');
  record.blockedBy = blockers;
  if (same) return;
  const reason = `waiting for ${described.join(', ')}`;
  if (record.status === 'blocked') record.reason = reason;
  else draft.moveTo('blocked', reason, event);
  draft.addEffects({ kind: 'comment', message: { type: 'blocked', blockers: described } });
}

/** The agent's attempt ended without success: retry while attempts remain, then fail. */
export function failAttempt(context: HandlerContext, draft: Draft, reason: string, event: string): void {
  const record = draft.record;
  dropObsoleteEffects(draft);
  stopAgent(draft);
  // A feedback round is an attempt too, but not a failed one: each round has the retries of the first.
  const tries = record.attempts - (record.feedback?.rounds ?? 0);
  if (tries < context.settings.retry.maxAttempts) {
    const retryAt = context.clock.now() + context.settings.retry.backoff * 2 ** (tries - 1);
    record.retryAt = retryAt;
    record.queuedAt = retryAt;
    draft.moveTo('queued', `attempt ${record.attempts} failed (${reason}); retrying`, event);
    draft.addEffects({ kind: 'comment', message: { type: 'retrying', reason } });
    return;
  }
  draft
    .moveTo('failed', reason, event)
    .addEffects(
      { kind: 'set-state', state: 'cancelled' },
      { kind: 'comment', message: { type: 'failed', reason } },
    );
}

/** Stops whatever the item has going and cancels it. */
export function cancel(draft: Draft, reason: string, event: string): void {
  const record = draft.record;
  const from = record.status;
  dropObsoleteEffects(draft);
  if (from === 'waiting-clarification' && record.clarification?.threadId) {
    draft.addEffects({ kind: 'reply-thread', text: clarificationClosed(reason) });
  }
  if (from === 'dispatched' && record.dispatch) {
    stopAgent(draft);
    // Takes the factory's markers off; the tracker state stays as the person set it.
    draft.addEffects(
      { kind: 'set-state', state: 'cancelled' },
      { kind: 'comment', message: { type: 'cancelled', reason } },
    );
  }
  draft.moveTo('cancelled', reason, event);
}
