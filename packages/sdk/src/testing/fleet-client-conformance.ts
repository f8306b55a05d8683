import { expect } from 'vitest';
import type { AgentStatus, FleetClient, SpawnRequest } from '../ports/fleet-client.ts';
import { describeChecks, type OpenedWorld, type PortCheck } from './port-conformance.ts';

/** What the fleet's backend (the remote fleet, the CI, the operating system) holds, seen from its side. */
export interface FleetBackend {
  /** Agents the backend has started so far: accepted spawns, dispatched runs, started processes. */
  started: number;
  /** Of those, the ones it still runs (not stopped, cancelled or ended). */
  running: number;
}

/** A fleet client in a world of its own: its backend starts empty. */
export interface OpenedFleet extends OpenedWorld {
  fleet: FleetClient;
  backend(): FleetBackend | Promise<FleetBackend>;
}

export type FleetOpener = () => Promise<OpenedFleet>;

/**
 * The spawn request the suite sends for agent `n`: the route `app` on repository `acme/app` (a backend
 * that places agents by repository must accept it), branch `factory/conformance-<n>`.
 */
export function conformanceSpawnRequest(n: number): SpawnRequest {
  return {
    idempotencyKey: `conformance-tenant/item-${n}/r1/a1`,
    tenant: 'conformance-tenant',
    workItemId: `item-${n}`,
    workItemKey: `CONF-${n}`,
    attempt: 1,
    route: { name: 'app', repository: 'acme/app', agent: 'coder' },
    branch: `factory/conformance-${n}`,
    task: `Work item CONF-${n}: add a --json flag to the export command.\n`,
    traceId: '0af7651916cd43dd8448eb211c80319c',
  };
}

/** One of the answers the port documents, nothing else. */
function expectDocumentedStatus(status: AgentStatus): void {
  if (status.state === 'exited') expect(status.exitCode).toEqual(expect.any(Number));
  else expect(status).toEqual({ state: expect.stringMatching(/^(running|unknown)$/) });
}

/** Every behaviour a FleetClient must have, as plain checks. */
export const fleetClientChecks: readonly PortCheck<OpenedFleet>[] = [
  {
    name: 'a spawn starts one agent at the fleet, and its status is running',
    async run(world) {
      const { agentId } = await world.fleet.spawn(conformanceSpawnRequest(1));
      expect(agentId).toEqual(expect.any(String));
      expect(agentId).not.toBe('');
      expect(await world.backend()).toEqual({ started: 1, running: 1 });
      expect(await world.fleet.status(agentId)).toEqual({ state: 'running' });
    },
  },
  {
    name: 'a spawn past its deadline (an aborted signal) is refused and starts nothing',
    async run(world) {
      const controller = new AbortController();
      controller.abort(new DOMException('the effect lease is ending', 'TimeoutError'));
      await expect(
        world.fleet.spawn(conformanceSpawnRequest(1), { signal: controller.signal }),
      ).rejects.toThrow();
      expect((await world.backend()).started).toBe(0);
    },
  },
  {
    name: 'the same spawn twice (a retry) returns the first agent and starts nothing more',
    async run(world) {
      const first = await world.fleet.spawn(conformanceSpawnRequest(1));
      const again = await world.fleet.spawn(conformanceSpawnRequest(1));
      expect(again).toEqual(first);
      expect((await world.backend()).started).toBe(1);
    },
  },
  {
    name: 'a spawn with another idempotency key starts another agent',
    async run(world) {
      const first = await world.fleet.spawn(conformanceSpawnRequest(1));
      const second = await world.fleet.spawn(conformanceSpawnRequest(2));
      expect(second.agentId).not.toBe(first.agentId);
      expect((await world.backend()).started).toBe(2);
    },
  },
  {
    name: 'the status of an agent it never started is unknown',
    async run(world, open) {
      // An id of this fleet's own form, from another fleet whose backend is not this one.
      const { agentId } = await (await open()).fleet.spawn(conformanceSpawnRequest(1));
      expect(await world.fleet.status(agentId)).toEqual({ state: 'unknown' });
    },
  },
  {
    name: 'releasing an agent it never started is not an error and changes nothing',
    async run(world, open) {
      const { agentId } = await (await open()).fleet.spawn(conformanceSpawnRequest(1));
      await expect(world.fleet.release(agentId)).resolves.toBeUndefined();
      expect(await world.backend()).toEqual({ started: 0, running: 0 });
    },
  },
  {
    name: 'release stops a running agent at the fleet; status still answers; releasing again is not an error',
    async run(world) {
      const { agentId } = await world.fleet.spawn(conformanceSpawnRequest(1));
      expect(await world.backend()).toEqual({ started: 1, running: 1 });
      await world.fleet.release(agentId);
      expect(await world.backend()).toEqual({ started: 1, running: 0 });
      expectDocumentedStatus(await world.fleet.status(agentId));
      await expect(world.fleet.release(agentId)).resolves.toBeUndefined();
      expect(await world.backend()).toEqual({ started: 1, running: 0 });
    },
  },
];

/**
 * Registers the FleetClient conformance suite: `open` gives a fleet whose backend is empty, once per
 * check (twice where a check needs an agent id the fleet never started), and its `close` after it.
 *
 *   fleetClientConformance('HttpFleet', async () => {
 *     const server = await new HttpFleetServer(SECRET).start();
 *     return {
 *       fleet: new HttpFleet({ url: server.url, secret: SECRET }),
 *       backend: () => ({ started: server.agents.size, running: server.running().length }),
 *       close: () => server.close(),
 *     };
 *   });
 */
export function fleetClientConformance(name: string, open: FleetOpener): void {
  describeChecks(`${name} conforms to FleetClient`, fleetClientChecks, open);
}
