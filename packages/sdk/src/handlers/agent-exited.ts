import type { AgentExitedEvent } from '../events.ts';
import { applyEvent } from '../machine/apply.ts';
import { afterWrite } from '../pipeline/after-write.ts';
import type { HandlerContext } from '../pipeline/context.ts';
import { drain } from '../pipeline/drain.ts';
import { type HandleResult, ResultBuilder } from '../pipeline/result.ts';
import { findRecord } from '../pipeline/schedule-store.ts';

/** An agent ended: the fleet names the item, or the agent map does; the table decides. */
export async function onAgentExited(context: HandlerContext, event: AgentExitedEvent): Promise<HandleResult> {
  const result = new ResultBuilder(event.type);
  const found = event.workItemId
    ? undefined
    : await findRecord(context, { kind: 'agent', value: event.agentId });
  const workItemId = event.workItemId ?? found?.workItemId;
  if (!workItemId) return result.finish(`unknown agent ${event.agentId}`);
  result.workItemId = workItemId;
  const applied = await applyEvent(context, workItemId, event, result, found);
  const after = await afterWrite(context, applied, event.type, result);
  if (after.freedSlots) await drain(context, result);
  return result.finish(after.reason ?? applied.reason);
}
