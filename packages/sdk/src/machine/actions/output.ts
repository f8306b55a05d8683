import type { OutputChangedEvent } from '../../events.ts';
import { orderOutput, rememberOutput } from '../../pipeline/output-order.ts';
import { dropObsoleteEffects, failAttempt, stopAgent } from '../../pipeline/plan.ts';
import type { WorkItemRecord } from '../../record.ts';
import { Draft } from '../draft.ts';
import type { Decision, Step } from '../step.ts';

/**
 * Dispatched: an output of the current attempt, newer than the change last acted on (`orderOutput`),
 * completes the item when ready (or merged, by policy), marks it for review, or fails the attempt when
 * closed unmerged.
 */
export function completeOrReview(
  current: WorkItemRecord,
  event: OutputChangedEvent & { via?: string },
  step: Step,
): Decision {
  const { output } = event;
  const { completion } = step.context.settings;
  const eventName = event.via ?? event.type;
  const order = orderOutput(current, output);
  if (order.kind === 'foreign' || order.kind === 'stale' || order.kind === 'known')
    return { ignore: order.reason };
  const known = current.output;
  const draft = Draft.from(current, step.now);
  rememberOutput(draft.record, output);
  if (order.kind === 'newer-same-state') {
    // Nothing changes but the time, kept so that an older change delivered late is recognised.
    return { draft, reason: `output still ${output.state} at ${output.updatedAt ?? 'an unknown time'}` };
  }
  draft.record.output = { id: output.id, url: output.url, state: output.state };
  if (output.state === 'merged' || (output.state === 'ready' && completion.on === 'ready')) {
    dropObsoleteEffects(draft);
    draft.moveTo('done', `output ${output.state}: ${output.url}`, eventName);
    draft.addEffects(
      { kind: 'set-state', state: 'done' },
      { kind: 'comment', message: { type: 'completed' } },
    );
    stopAgent(draft);
    return { draft, reason: `completed by ${output.url}` };
  }
  if (output.state === 'ready' && completion.on === 'merged') {
    // Completion waits for the merge; the tracker shows meanwhile that a person has something to review.
    draft.addEffects({ kind: 'set-state', state: 'needs-review' });
    // From now on the tick reads the output now and then, in case the merge's event is lost.
    const dispatch = draft.record.dispatch;
    if (dispatch) draft.record.dispatch = { ...dispatch, checkAt: step.now + completion.checkInterval };
    return { draft, reason: 'output is ready: marked for review; waiting for it to be merged' };
  }
  if (output.state === 'draft' && known?.state === 'ready' && completion.on === 'merged') {
    // Back to draft: the review marker would tell people to look at work that is not ready.
    draft.addEffects({ kind: 'set-state', state: 'dispatched' });
    return { draft, reason: 'output is a draft again: back in progress' };
  }
  if (output.state === 'closed') {
    failAttempt(step.context, draft, `the output ${output.url} was closed without merging`, eventName);
    return { draft, reason: draft.record.reason };
  }
  return { draft, reason: `output is ${output.state}; waiting for it to be ${completion.on}` };
}
