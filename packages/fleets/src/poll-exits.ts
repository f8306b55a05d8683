import type { AgentExitedEvent, FleetClient } from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';

export interface WatchedAgent {
  agentId: string;
  workItemId?: string;
}

/**
 * Asks the fleet about each agent and returns an `agent.exited` for every one that ended or that the
 * fleet no longer knows, for runtimes that learn about exits by polling instead of callbacks. An agent
 * whose status could not be read is skipped (and reported in `errors`) rather than declared lost.
 */
export async function pollExits(
  fleet: FleetClient,
  agents: readonly WatchedAgent[],
): Promise<{ events: AgentExitedEvent[]; errors: string[] }> {
  const events: AgentExitedEvent[] = [];
  const errors: string[] = [];
  for (const agent of agents) {
    const context = agent.workItemId ? { workItemId: agent.workItemId } : {};
    try {
      const status = await fleet.status(agent.agentId);
      if (status.state === 'running') continue;
      if (status.state === 'unknown') {
        events.push({ type: 'agent.exited', agentId: agent.agentId, outcome: 'lost', ...context });
        continue;
      }
      events.push({
        type: 'agent.exited',
        agentId: agent.agentId,
        outcome: status.exitCode === 0 ? 'succeeded' : 'failed',
        exitCode: status.exitCode,
        ...context,
      });
    } catch (error) {
      errors.push(`${agent.agentId}: ${errorMessage(error)}`);
    }
  }
  return { events, errors };
}
