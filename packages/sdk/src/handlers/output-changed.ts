import type { OutputChangedEvent } from '../events.ts';
import { change } from '../pipeline/change.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { wakeDependents } from '../pipeline/dependents.ts';
import { Draft } from '../pipeline/drafts.ts';
import { drain } from '../pipeline/drain.ts';
import { orderOutput, rememberOutput } from '../pipeline/output-order.ts';
import { dropObsoleteEffects, failAttempt, stopAgent } from '../pipeline/plan.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';
import type { OutputSnapshot } from '../work-item.ts';

/** An output (pull request) changed: the item is done when it is ready (or merged, by policy). */
export async function onOutputChanged(
  context: HandlerContext,
  event: OutputChangedEvent,
): Promise<HandleResult> {
  const result = new ResultBuilder(event.type);
  const { output } = event;
  const key = context.template.findWorkItemKey(output);
  if (!key) return result.finish('the output names no work item');
  const workItemId = await context.store.getIndex(context.tenant, 'key', key.toUpperCase());
  if (!workItemId) return result.finish(`no dispatched work item has the key ${key}`);
  result.workItemId = workItemId;
  const committed = await applyOutput(context, workItemId, output, event.type, result);
  if (committed.freedSlots) await drain(context, result);
  if (committed.completed) await wakeDependents(context, key, result);
  return result.finish(committed.reason);
}

/**
 * Shared by the event and the tick's reconciliation, which finds outputs no event announced. Only an
 * output of the current attempt acts on it, and only a change newer than the one last acted on
 * (`orderOutput`).
 */
export async function applyOutput(
  context: HandlerContext,
  workItemId: string,
  output: OutputSnapshot,
  eventName: string,
  result: ResultBuilder,
): Promise<{ reason: string; freedSlots: boolean; completed: boolean }> {
  const completes =
    output.state === 'merged' || (output.state === 'ready' && context.settings.completion.on === 'ready');
  const committed = await change(context, workItemId, result, async (current) => {
    if (current?.status !== 'dispatched') return { ignore: `the item is ${current?.status ?? 'unknown'}` };
    const order = orderOutput(current, output);
    if (order.kind === 'foreign' || order.kind === 'stale' || order.kind === 'known')
      return { ignore: order.reason };
    const known = current.output;
    const draft = Draft.from(current, context.clock.now());
    rememberOutput(draft.record, output);
    if (order.kind === 'newer-same-state') {
      // Nothing changes but the time, kept so that an older change delivered late is recognised.
      return { draft, reason: `output still ${output.state} at ${output.updatedAt ?? 'an unknown time'}` };
    }
    draft.record.output = { id: output.id, url: output.url, state: output.state };
    if (completes) {
      dropObsoleteEffects(draft);
      draft.moveTo('done', `output ${output.state}: ${output.url}`, eventName);
      draft.addEffects(
        { kind: 'set-state', state: 'done' },
        { kind: 'comment', message: { type: 'completed' } },
      );
      stopAgent(draft);
      return { draft, reason: `completed by ${output.url}` };
    }
    if (output.state === 'ready' && context.settings.completion.on === 'merged') {
      // Completion waits for the merge; the tracker shows meanwhile that a person has something to review.
      draft.addEffects({ kind: 'set-state', state: 'needs-review' });
      return { draft, reason: 'output is ready: marked for review; waiting for it to be merged' };
    }
    if (output.state === 'draft' && known?.state === 'ready' && context.settings.completion.on === 'merged') {
      // Back to draft: the review marker would tell people to look at work that is not ready.
      draft.addEffects({ kind: 'set-state', state: 'dispatched' });
      return { draft, reason: 'output is a draft again: back in progress' };
    }
    if (output.state === 'closed') {
      failAttempt(context, draft, `the output ${output.url} was closed without merging`, eventName);
      return { draft, reason: draft.record.reason };
    }
    return {
      draft,
      reason: `output is ${output.state}; waiting for it to be ${context.settings.completion.on}`,
    };
  });
  const status = committed.record?.status;
  return {
    reason: committed.reason,
    freedSlots: committed.wrote && status !== 'dispatched',
    completed: committed.wrote && status === 'done',
  };
}
