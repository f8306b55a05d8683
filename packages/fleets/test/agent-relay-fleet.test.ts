import { RelayPlacementError } from '@agent-relay/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AgentRelayFleet,
  type AgentRelayFleetOptions,
  agentNameFor,
  agentRelayEnvironment,
} from '../src/index.ts';
import { AgentRelayServer } from './support/agent-relay-server.ts';
import { recordingSleep } from './support/no-sleep.ts';
import { spawnRequest } from './support/spawn-request.ts';

const WORKSPACE_KEY = 'rk_live_workspace_key_for_tests';

describe('AgentRelayFleet driving the real @agent-relay/sdk against the relay API', () => {
  let relay: AgentRelayServer;
  let pauses: ReturnType<typeof recordingSleep>;

  beforeEach(async () => {
    relay = await new AgentRelayServer(WORKSPACE_KEY).start();
    relay.addNode('laptop', { capabilities: ['spawn:codex'], repos: ['acme/app'] });
    relay.addNode('build-box', { capabilities: ['spawn:claude'], repos: ['acme/app', 'acme/api'] });
    pauses = recordingSleep();
  });
  afterEach(() => relay.close());

  const fleet = (overrides: Partial<AgentRelayFleetOptions> = {}) =>
    new AgentRelayFleet({
      workspaceKey: WORKSPACE_KEY,
      baseUrl: relay.url,
      sleep: pauses.sleep,
      retry: { maxAttempts: 3, timeoutMs: 300 },
      ...overrides,
    });

  it('spawns through placement on a live node that advertises the harness and maps the repository', async () => {
    const request = spawnRequest();
    const agent = await fleet().spawn(request);

    const name = await agentNameFor(request.workItemKey, request.idempotencyKey);
    expect(agent.agentId).toBe(name);
    expect(name).toMatch(/^factory-eng-7-[0-9a-f]{12}$/);
    const [spawn] = relay.spawnsOf(name);
    expect(spawn?.caller).toBe('factory-dispatcher');
    expect(spawn?.input).toMatchObject({
      name,
      task: request.task,
      cli: 'claude',
      capability: 'spawn:claude',
      target_node: 'build-box',
      repo: 'acme/app',
      metadata: { factory_idempotency_key: request.idempotencyKey, factory_work_item_id: 'item-7' },
    });
    expect(relay.roster.get(name)?.status).toBe('online');
  });

  // The same spawn twice, another key, an unknown agent's status, releasing an unknown agent: the
  // FleetClient conformance suite (conformance/agent-relay.test.ts).
  for (const fault of ['hang', 'drop', 'fail-502'] as const) {
    it(`still starts one agent when the relay applied the spawn but its answer was lost (${fault})`, async () => {
      relay.invokeFaults.push(fault);
      const agent = await fleet().spawn(spawnRequest());

      expect(relay.spawnsOf(agent.agentId)).toHaveLength(1);
      expect(pauses.delays).toHaveLength(1);
    });
  }

  it('fails at once, starting nothing, when no live node can take the work', async () => {
    const error = await fleet({ cli: 'gemini' })
      .spawn(spawnRequest())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RelayPlacementError);
    expect(relay.invocations).toEqual([]);

    const unmapped = await fleet()
      .spawn(spawnRequest({ route: { name: 'web', repository: 'acme/web', agent: 'coder' } }))
      .catch((caught: unknown) => caught);
    expect((unmapped as RelayPlacementError).code).toBe('unmapped_repo');
    expect(relay.invocations).toEqual([]);
  });

  it('picks the harness per route when told how', async () => {
    const agent = await fleet({
      cliForRoute: (route) => (route.agent === 'coder' ? 'codex' : 'claude'),
    }).spawn(spawnRequest());
    expect(relay.spawnsOf(agent.agentId)[0]?.input).toMatchObject({ cli: 'codex', target_node: 'laptop' });
  });

  it('reads status from the roster: online runs, offline exited', async () => {
    const client = fleet();
    const { agentId } = await client.spawn(spawnRequest());
    const rostered = relay.roster.get(agentId);
    if (!rostered) throw new Error('agent missing');

    expect(await client.status(agentId)).toEqual({ state: 'running' });
    rostered.status = 'offline';
    expect(await client.status(agentId)).toEqual({ state: 'exited', exitCode: 0 });
    rostered.metadata = { ...rostered.metadata, exit_code: 2 };
    expect(await client.status(agentId)).toEqual({ state: 'exited', exitCode: 2 });
  });

  it('releases through the release action, as its dispatcher', async () => {
    const client = fleet();
    const { agentId } = await client.spawn(spawnRequest());
    await client.release(agentId);

    expect(relay.invocations.filter((invocation) => invocation.action === 'release')).toEqual([
      {
        action: 'release',
        caller: 'factory-dispatcher',
        input: { name: agentId, reason: 'released by the factory' },
      },
    ]);
    expect(relay.roster.get(agentId)?.status).toBe('offline');
  });

  it('registers its dispatcher once, adopts an existing one, or uses a persisted token', async () => {
    const client = fleet();
    await client.spawn(spawnRequest());
    await client.spawn(spawnRequest({ idempotencyKey: 'tenant-1/item-8/r1/a1', workItemKey: 'ENG-8' }));
    expect(relay.registrations).toEqual(['factory-dispatcher']);

    await fleet().spawn(spawnRequest({ idempotencyKey: 'tenant-1/item-9/r1/a1', workItemKey: 'ENG-9' }));
    expect(relay.registrations).toEqual(['factory-dispatcher', 'factory-dispatcher (rotated)']);

    const token = relay.roster.get('factory-dispatcher')?.token;
    await fleet({ dispatcherToken: token }).spawn(spawnRequest({ idempotencyKey: 'tenant-1/item-10/r1/a1' }));
    expect(relay.registrations).toHaveLength(2);
  });

  it('fails with the relay’s refusal, never the key, when the workspace key is wrong', async () => {
    const error = await fleet({ workspaceKey: 'rk_live_wrong' })
      .spawn(spawnRequest())
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('Invalid workspace key');
    expect(JSON.stringify(error)).not.toContain(WORKSPACE_KEY);
    expect(relay.invocations).toEqual([]);
  });

  it('takes its workspace key from the SDK’s environment variables', () => {
    expect(
      agentRelayEnvironment({ RELAY_WORKSPACE_KEY: ' rk_a ', AGENT_RELAY_WORKSPACE_KEY: 'rk_b' }),
    ).toEqual({
      workspaceKey: 'rk_a',
    });
    expect(
      agentRelayEnvironment({ AGENT_RELAY_WORKSPACE_KEY: 'rk_b', RELAY_BASE_URL: 'http://127.0.0.1:9' }),
    ).toEqual({ workspaceKey: 'rk_b', baseUrl: 'http://127.0.0.1:9' });
    expect(agentRelayEnvironment({ RELAY_API_KEY: 'rk_c' })).toEqual({ workspaceKey: 'rk_c' });
    expect(() => agentRelayEnvironment({})).toThrow(/set RELAY_WORKSPACE_KEY/);
    expect(() =>
      agentRelayEnvironment({ RELAY_WORKSPACE_KEY: 'rk', RELAY_BASE_URL: 'cast.example' }),
    ).toThrow(/RELAY_BASE_URL must be an http\(s\) URL/);
    expect(() => new AgentRelayFleet({ workspaceKey: '  ' })).toThrow(/workspace key is required/);
  });

  it('builds a working fleet from the environment', async () => {
    const agent = await AgentRelayFleet.fromEnv(
      { AGENT_RELAY_WORKSPACE_KEY: WORKSPACE_KEY, RELAY_BASE_URL: relay.url },
      { sleep: pauses.sleep },
    ).spawn(spawnRequest());
    expect(relay.spawnsOf(agent.agentId)).toHaveLength(1);
  });
});
