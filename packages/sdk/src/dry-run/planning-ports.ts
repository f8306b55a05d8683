import type { ClarificationChannel } from '../ports/clarification-channel.ts';
import type { WriteOptions } from '../ports/connection.ts';
import type { FleetClient, SpawnRequest } from '../ports/fleet-client.ts';
import type { WorkItemProvider, WritebackState } from '../ports/work-item-provider.ts';
import type { WorkItem } from '../work-item.ts';

/** One write a dry run would have made. */
export interface PlannedWrite {
  port: 'work-items' | 'clarifications' | 'fleet';
  action: 'set-state' | 'comment' | 'open-thread' | 'reply' | 'spawn' | 'release';
  workItemKey?: string;
  detail: Record<string, unknown>;
}

/** A dry-run agent or thread is recognisable by this prefix. */
export const DRY_RUN_PREFIX = 'dry-run:';

/**
 * Wraps the write side of the ports so a dry run records what it would do and does nothing; reads go to
 * the real providers, so the plan is made from the real world.
 */
export function planningPorts(
  ports: { workItems: WorkItemProvider; clarifications: ClarificationChannel; fleet: FleetClient },
  plan: PlannedWrite[],
) {
  const workItems: WorkItemProvider = {
    provider: ports.workItems.provider,
    requiredScopes: ports.workItems.requiredScopes,
    checkConnection: () => ports.workItems.checkConnection(),
    isReadyForDispatch: (item: WorkItem) => ports.workItems.isReadyForDispatch(item),
    getWorkItem: (ref: string) => ports.workItems.getWorkItem(ref),
    async setState(item: WorkItem, state: WritebackState, _options: WriteOptions) {
      plan.push({ port: 'work-items', action: 'set-state', workItemKey: item.key, detail: { state } });
    },
    async postComment(item: WorkItem, body: string, _options: WriteOptions) {
      plan.push({ port: 'work-items', action: 'comment', workItemKey: item.key, detail: { body } });
    },
  };
  const clarifications: ClarificationChannel = {
    provider: ports.clarifications.provider,
    requiredScopes: ports.clarifications.requiredScopes,
    ...(ports.clarifications.asksOnWorkItem ? { asksOnWorkItem: true } : {}),
    checkConnection: () => ports.clarifications.checkConnection(),
    async openThread(item: WorkItem, question: string, _options: WriteOptions) {
      plan.push({
        port: 'clarifications',
        action: 'open-thread',
        workItemKey: item.key,
        detail: { question },
      });
      return { threadId: `${DRY_RUN_PREFIX}thread:${item.id}` };
    },
    async reply(threadId: string, text: string, _options: WriteOptions) {
      plan.push({ port: 'clarifications', action: 'reply', detail: { threadId, text } });
    },
  };
  const fleet: FleetClient = {
    name: ports.fleet.name,
    async spawn(request: SpawnRequest) {
      const { task, route, branch, attempt, workItemKey } = request;
      plan.push({ port: 'fleet', action: 'spawn', workItemKey, detail: { route, branch, attempt, task } });
      return { agentId: `${DRY_RUN_PREFIX}agent:${request.workItemId}` };
    },
    status: (agentId: string) =>
      agentId.startsWith(DRY_RUN_PREFIX)
        ? Promise.resolve({ state: 'running' as const })
        : ports.fleet.status(agentId),
    async release(agentId: string) {
      plan.push({ port: 'fleet', action: 'release', detail: { agentId } });
    },
  };
  return { workItems, clarifications, fleet };
}
