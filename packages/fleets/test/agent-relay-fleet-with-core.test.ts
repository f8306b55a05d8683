import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRelayFleet, pollExits } from '../src/index.ts';
import { AgentRelayServer } from './support/agent-relay-server.ts';
import { CoreWithFleet } from './support/core.ts';
import { recordingSleep } from './support/no-sleep.ts';

const WORKSPACE_KEY = 'rk_live_workspace_key_for_tests';

describe('AgentRelayFleet as the core’s fleet, with exits found by polling the roster', () => {
  let relay: AgentRelayServer;
  let fleet: AgentRelayFleet;
  let core: CoreWithFleet;

  beforeEach(async () => {
    relay = await new AgentRelayServer(WORKSPACE_KEY).start();
    relay.addNode('build-box', { capabilities: ['spawn:claude'], repos: ['acme/app'] });
    fleet = new AgentRelayFleet({
      workspaceKey: WORKSPACE_KEY,
      baseUrl: relay.url,
      sleep: recordingSleep().sleep,
    });
    core = new CoreWithFleet(fleet);
  });
  afterEach(() => relay.close());

  async function currentAgent(): Promise<string> {
    const agentId = (await core.record())?.dispatch?.agentId;
    if (!agentId) throw new Error('no agent');
    return agentId;
  }

  /** The node reports the agent gone with an exit code; the runtime's poll turns it into agent.exited. */
  async function exitAndPoll(exitCode: number) {
    const agentId = await currentAgent();
    const agent = relay.roster.get(agentId);
    if (!agent) throw new Error('agent not in roster');
    Object.assign(agent, { status: 'offline', metadata: { ...agent.metadata, exit_code: exitCode } });
    const { events, errors } = await pollExits(fleet, [{ agentId, workItemId: 'item-7' }]);
    expect(errors).toEqual([]);
    for (const event of events) await core.factory.handle(event);
    return events;
  }

  it('retries an agent that fails twice and ends done when the third succeeds', async () => {
    const item = core.item();
    await core.start(item);
    for (const attempt of [1, 2]) {
      expect(await exitAndPoll(1)).toMatchObject([{ outcome: 'failed', exitCode: 1 }]);
      await core.retryAfter(attempt);
    }
    expect(await exitAndPoll(0)).toMatchObject([{ outcome: 'succeeded', exitCode: 0 }]);
    await core.openReadyOutput(item);

    expect((await core.record())?.status).toBe('done');
    expect(relay.invocations.filter((invocation) => invocation.action === 'spawn')).toHaveLength(3);
  });

  it('ends failed with a comment when every attempt fails, releasing each agent', async () => {
    await core.start(core.item());
    for (const attempt of [1, 2, 3]) {
      await exitAndPoll(3);
      if (attempt < 3) await core.retryAfter(attempt);
    }
    expect((await core.record())?.status).toBe('failed');
    expect(core.comments().at(-1)).toBe(
      'The factory stopped working on this: the agent exited with code 3. Move it back to ready to try again.',
    );
    expect(relay.invocations.filter((invocation) => invocation.action === 'release')).toHaveLength(3);
  });

  it('reports an agent the roster no longer knows as lost, and skips agents it cannot read', async () => {
    await core.start(core.item());
    const agentId = await currentAgent();
    relay.roster.delete(agentId);
    expect((await pollExits(fleet, [{ agentId }])).events).toEqual([
      { type: 'agent.exited', agentId, outcome: 'lost' },
    ]);

    await relay.close();
    const unreachable = await pollExits(fleet, [{ agentId }]);
    expect(unreachable.events).toEqual([]);
    expect(unreachable.errors).toHaveLength(1);
  });
});
