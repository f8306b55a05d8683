import { errorMessage } from '../error-message.ts';
import { type LeaseMove, nextVersion, sealVersion, type VersionContext } from '../machine/next-version.ts';
import type { WriteOptions } from '../ports/connection.ts';
import type { SpawnedAgent } from '../ports/fleet-client.ts';
import type { PendingEffect, WorkItemRecord } from '../record.ts';
import { traceIdFor } from '../trace.ts';
import { traceparentFor } from '../tracing/run-trace.ts';
import { ConflictBudget, writeRecord } from './commit.ts';
import type { HandlerContext } from './context.ts';
import { deadlineSignal, effectDeadline } from './effect-deadline.ts';
import { recordFleetFailure, recordFleetSuccess, spawnAllowed } from './fleet-health.ts';
import { renderComment, renderOutputComment } from './messages.ts';
import { currentSchedule, loadRecord } from './schedule-store.ts';

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
 * Performs the record's pending effects in order, then records them all as done in one compare-and-set
 * write (each effect sees what the ones before it learned: the thread a reply goes to, the agent a
 * release stops). Stops at the first failure and records what was done with the lease ended, so the
 * next delivery or tick resumes at once. A crash before the write repeats the effects, which is safe:
 * each carries an idempotency key.
 */
export async function runEffects(context: HandlerContext, start: WorkItemRecord): Promise<EffectsOutcome> {
  if (start.pending.length === 0 || start.leaseOwner !== context.owner)
    return { record: start, performed: [], finished: start.pending.length === 0 };
  let working = start;
  const done: Completion[] = [];
  const performed: string[] = [];
  let error: string | undefined;
  // One run, one trace id: every effect of the record carries it.
  const traceId = traceIdFor(context.tenant, start.workItemId, start.run);
  // Past its lease the record may be taken over (the tick does once `effectLease` is up), and the new
  // performer starts at the first effect not recorded done: this one writing at the same time could do
  // it twice (two comments). So it stops writing at its deadline, a settle margin before the lease ends,
  // and leaves the lease to run out rather than ending it early: what it abandoned has landed or died by
  // then. What was done is recorded and the rest is left to the next call.
  const deadline = effectDeadline(start, context.settings);
  const bound = deadlineSignal(deadline, context.clock.now());
  let leaseEnding = false;
  for (const effect of start.pending) {
    if (deadline !== undefined && (context.clock.now() >= deadline || bound.signal?.aborted)) {
      leaseEnding = true;
      error = `the effect lease ran out before ${effect.kind}; the next delivery or tick goes on from there`;
      break;
    }
    let result: EffectResult;
    try {
      result = context.trace
        ? await context.trace.effect(working, effect, (traceparent) =>
            perform(context, working, effect, traceId, bound.signal, traceparent),
          )
        : await perform(context, working, effect, traceId, bound.signal);
      context.metrics?.effect(context.tenant, effect.kind, 'ok');
    } catch (failure) {
      context.metrics?.effect(context.tenant, effect.kind, 'failed');
      leaseEnding = bound.signal?.aborted === true;
      error = `${effect.kind} failed: ${errorMessage(failure)}`;
      context.logger.warn('effect failed', {
        tenant: context.tenant,
        workItemId: start.workItemId,
        effect: effect.id,
        traceId,
        error: errorMessage(failure),
      });
      break;
    }
    performed.push(describe(effect, result));
    done.push({ effect, result });
    working = withResult(working, result);
  }
  bound.stop();
  // After a failed effect the store may be what failed: the error to report is the effect's, and the
  // lease runs out by itself. A failure ends the lease at once, so the next call retries without
  // waiting; not when the lease is ending, whose settle margin must pass first.
  const record =
    error === undefined
      ? await recordCompletions(context, start, done, false)
      : await recordCompletions(context, start, done, !leaseEnding).catch(() => undefined);
  const stored = record ?? start;
  return {
    record: stored,
    performed,
    ...(error ? { error } : {}),
    finished: error === undefined && record !== undefined && record.pending.length === 0,
  };
}

async function perform(
  context: HandlerContext,
  record: WorkItemRecord,
  effect: PendingEffect,
  traceId: string,
  /** Aborted at the performer's deadline (`effect-deadline.ts`). */
  signal: AbortSignal | undefined,
  /** Continues the trace from the effect's span; the run's own when nothing is traced. */
  traceparent?: string,
): Promise<EffectResult> {
  const { tenant } = context;
  const options: WriteOptions = { idempotencyKey: idempotencyKey(context, record, effect), traceId };
  if (signal) options.signal = signal;
  switch (effect.kind) {
    case 'set-state':
      await context.workItems.setState(record.item, effect.state, options);
      return undefined;
    case 'comment':
      await context.workItems.postComment(record.item, renderComment(effect.message, record), {
        ...options,
        about: effect.message.type,
      });
      return undefined;
    case 'output-comment':
      await context.outputs.postComment(
        effect.outputId,
        renderOutputComment(effect.message, record),
        options,
      );
      return undefined;
    case 'open-thread': {
      const thread = await context.clarifications.openThread(
        record.item,
        record.clarification?.question ?? '',
        options,
      );
      // The thread → item lookup is written with the record that keeps the thread (`commit.ts`).
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
      const task = context.template.render(record.item, route, {
        branch: dispatch.branch,
        attempt: dispatch.attempt,
        answers: record.clarification?.answers ?? [],
        ...(record.clarification?.question ? { question: record.clarification.question } : {}),
        ...(record.feedback && record.feedback.given.length > 0
          ? { feedback: { round: record.feedback.rounds, notes: record.feedback.given } }
          : {}),
      });
      const gate = await spawnAllowed(context, dispatch.slotHolder);
      if (!gate.allowed)
        throw new Error(`the fleet circuit is open until ${new Date(gate.until).toISOString()}`);
      let agent: SpawnedAgent;
      try {
        agent = await context.fleet.spawn(
          {
            idempotencyKey: dispatch.idempotencyKey,
            tenant,
            workItemId: record.workItemId,
            workItemKey: record.item.key,
            attempt: dispatch.attempt,
            route,
            branch: dispatch.branch,
            task,
            traceId: options.traceId,
            traceparent: traceparent ?? traceparentFor(tenant, record.workItemId, record.run),
          },
          signal ? { signal } : undefined,
        );
      } catch (error) {
        await recordFleetFailure(context, `spawn failed: ${errorMessage(error)}`).catch(() => {});
        throw error;
      }
      // Only a breaker that has seen failures needs writing back to healthy.
      if (!gate.healthy) await recordFleetSuccess(context);
      // The agent → item lookup is written with the record that keeps the agent (`commit.ts`).
      return { agentId: agent.agentId };
    }
    case 'release-agent': {
      const agentId = effect.agentId || record.dispatch?.agentId;
      if (agentId) await context.fleet.release(agentId);
      return undefined;
    }
    // The slots are freed by the write that records this effect as done: the schedule follows the
    // record, which claims them no more (`schedule.ts`). Enqueue and dequeue are left by records written
    // before the schedule existed; the write that completes them puts the queue in step the same way.
    case 'release-slots':
    case 'enqueue':
    case 'dequeue':
      return undefined;
  }
}

interface Completion {
  effect: PendingEffect;
  result: EffectResult;
}

/**
 * Removes the performed effects from the stored record and keeps what they learned, in one write (with
 * the schedule when a completed release frees slots, and the lookups to a new thread or agent); ends
 * the lease too when an effect failed. Another handler may have changed the record meanwhile: the
 * completions are merged into what is stored, and an agent spawned for an effect that is no longer
 * pending (the dispatch was cancelled) is released. Returns the stored record, or undefined when the
 * write could not be made.
 */
async function recordCompletions(
  context: HandlerContext,
  ours: WorkItemRecord,
  done: readonly Completion[],
  failed: boolean,
): Promise<WorkItemRecord | undefined> {
  if (done.length === 0 && !failed) return ours;
  let current: WorkItemRecord | undefined = ours;
  let schedule = await currentSchedule(context);
  const budget = new ConflictBudget(8);
  while (current && budget.next(current.version)) {
    const completed: Completion[] = [];
    const stale: Completion[] = [];
    for (const completion of done)
      (isPending(current, completion.effect.id) ? completed : stale).push(completion);
    const expire = failed && current.leaseOwner === context.owner;
    if (completed.length === 0 && !expire) {
      for (const completion of stale)
        await compensate(context, current, completion.effect, completion.result);
      return current;
    }
    const lease = expire ? 'expire' : 'keep';
    const written =
      completed.length > 0
        ? completedVersion(current, completed, lease, versionContext(context))
        : nextVersion(current, current, lease, versionContext(context), { touch: false });
    if (await writeRecord(context, current, written, { base: schedule, value: schedule.value })) {
      for (const completion of stale)
        await compensate(context, written, completion.effect, completion.result);
      return written;
    }
    ({ record: current, schedule } = await loadRecord(context, ours.workItemId));
  }
  return undefined;
}

function isPending(record: WorkItemRecord, effectId: string): boolean {
  for (const pending of record.pending) if (pending.id === effectId) return true;
  return false;
}

/**
 * The version after `current` without the completed effects and with what they learned: one copy of the
 * record for all the completions (not one per effect, and not one more for the version), which
 * `sealVersion` finishes as `nextVersion` would.
 */
function completedVersion(
  current: WorkItemRecord,
  completed: readonly Completion[],
  lease: LeaseMove,
  context: VersionContext,
): WorkItemRecord {
  // What the version works out again (its lease, `wakeAt`) is left out of the copy, so nothing has to go.
  const { leaseUntil, leaseOwner, wakeAt: _wakeAt, ...rest } = current;
  const next: WorkItemRecord = rest;
  next.pending = current.pending.filter(
    (pending) => !completed.some((completion) => completion.effect.id === pending.id),
  );
  for (const { result } of completed) Object.assign(next, learned(next, result));
  if (next.pending.length > 0) {
    if (leaseUntil !== undefined) next.leaseUntil = leaseUntil;
    if (leaseOwner !== undefined) next.leaseOwner = leaseOwner;
  }
  return sealVersion(current, next, lease, context);
}

/** The record with what the effect learned (a thread, an agent id) kept in it. */
function withResult(record: WorkItemRecord, result: EffectResult): WorkItemRecord {
  const fields = learned(record, result);
  return fields ? { ...record, ...fields } : record;
}

/** The record's fields that keep what an effect learned (a thread, an agent id); undefined for nothing. */
function learned(
  record: WorkItemRecord,
  result: EffectResult,
): Pick<WorkItemRecord, 'clarification' | 'dispatch'> | undefined {
  if (!result) return undefined;
  if ('threadId' in result && record.clarification) {
    const { threadId, threadUrl } = result;
    return { clarification: { ...record.clarification, threadId, ...(threadUrl ? { threadUrl } : {}) } };
  }
  if ('agentId' in result && record.dispatch)
    return { dispatch: { ...record.dispatch, agentId: result.agentId } };
  return undefined;
}

function versionContext(context: HandlerContext): VersionContext {
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
  if (!(await context.store.commit(context.tenant, { record: claimed }))) return undefined;
  return runEffects(context, claimed);
}
