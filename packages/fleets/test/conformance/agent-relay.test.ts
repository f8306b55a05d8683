import { fleetClientConformance } from '@software-factory/sdk/testing';
import { AgentRelayFleet } from '../../src/index.ts';
import { AgentRelayServer } from '../support/agent-relay-server.ts';
import { recordingSleep } from '../support/no-sleep.ts';

const WORKSPACE_KEY = 'rk_live_workspace_key_for_tests';

fleetClientConformance('AgentRelayFleet', async () => {
  const relay = await new AgentRelayServer(WORKSPACE_KEY).start();
  relay.addNode('build-box', { capabilities: ['spawn:claude'], repos: ['acme/app'] });
  const spawns = () => relay.invocations.filter((invocation) => invocation.action === 'spawn');
  return {
    fleet: new AgentRelayFleet({
      workspaceKey: WORKSPACE_KEY,
      baseUrl: relay.url,
      sleep: recordingSleep().sleep,
      retry: { maxAttempts: 3, timeoutMs: 2_000 },
    }),
    backend: () => ({
      started: spawns().length,
      running: [...relay.roster.values()].filter(
        (agent) => spawns().some((spawn) => spawn.input.name === agent.name) && agent.status !== 'offline',
      ).length,
    }),
    close: () => relay.close(),
  };
});
