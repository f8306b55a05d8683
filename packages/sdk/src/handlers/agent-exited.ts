import type { AgentExitedEvent } from '../events.ts';
import { recordFleetFailure } from '../pipeline/breaker.ts';
import { change } from '../pipeline/change.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { Draft } from '../pipeline/drafts.ts';
import { drain } from '../pipeline/drain.ts';
import { lookUpOutput } from '../pipeline/output-lookup.ts';
import { failAttempt } from '../pipeline/plan.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';

/**
 * An agent ended. Success asks the output target once about the item's branch (the output's event may
 * have been lost), then waits for its output (the tick fails it if none comes in time); failure retries
 * while attempts remain, then fails the item.
 */
export async function onAgentExited(context: HandlerContext, event: AgentExitedEvent): Promise<HandleResult> {
  const result = new ResultBuilder(event.type);
  const workItemId =
    event.workItemId ?? (await context.store.getIndex(context.tenant, 'agent', event.agentId));
  if (!workItemId) return result.finish(`unknown agent ${event.agentId}`);
  result.workItemId = workItemId;

  const committed = await change(context, workItemId, result, async (current) => {
    const dispatch = current?.dispatch;
    if (current?.status !== 'dispatched' || dispatch?.agentId !== event.agentId) {
      return { ignore: `agent ${event.agentId} is not the item's current agent` };
    }
    if (dispatch.exitedAt !== undefined) return { ignore: 'the agent already exited' };
    const draft = Draft.from(current, context.clock.now());
    if (event.outcome === 'succeeded') {
      Object.assign(draft.record.dispatch ?? {}, {
        exitedAt: context.clock.now(),
        exitCode: event.exitCode ?? 0,
      });
      return { draft, reason: 'agent finished; waiting for its output' };
    }
    failAttempt(context, draft, why(event), event.type);
    return { draft, reason: draft.record.reason };
  });
  if (committed.wrote && event.outcome === 'lost') await recordFleetFailure(context, why(event));
  const lookup =
    committed.wrote && event.outcome === 'succeeded' && committed.record
      ? await lookUpOutput(context, committed.record, event.type, result)
      : { freedSlots: committed.wrote && committed.record?.status !== 'dispatched' };
  if (lookup.freedSlots) await drain(context, result);
  return result.finish(lookup.reason ?? committed.reason);
}

function why(event: AgentExitedEvent): string {
  if (event.reason) return event.reason;
  return event.outcome === 'lost'
    ? 'the fleet lost the agent'
    : `the agent exited with code ${event.exitCode ?? 'unknown'}`;
}
