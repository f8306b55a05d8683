import { FakeClock } from '@software-factory/sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FleetRequestError, HttpFleet } from '../src/index.ts';
import { HttpFleetServer } from './support/http-fleet-server.ts';
import { recordingSleep } from './support/no-sleep.ts';
import { spawnRequest } from './support/spawn-request.ts';

const SECRET = 'fleet-signing-secret-for-tests';

describe('HttpFleet against a fleet that speaks the published protocol', () => {
  let server: HttpFleetServer;
  let clock: FakeClock;
  let pauses: ReturnType<typeof recordingSleep>;

  beforeEach(async () => {
    clock = new FakeClock(Date.now());
    server = await new HttpFleetServer(SECRET, () => clock.now()).start();
    pauses = recordingSleep();
  });
  afterEach(() => server.close());

  const fleet = (overrides: Partial<ConstructorParameters<typeof HttpFleet>[0]> = {}) =>
    new HttpFleet({
      url: server.url,
      secret: SECRET,
      clock,
      sleep: pauses.sleep,
      retry: { maxAttempts: 3, timeoutMs: 300 },
      ...overrides,
    });

  it('spawns with a signed request carrying every SpawnRequest field and the idempotency key', async () => {
    const request = spawnRequest();
    const agent = await fleet().spawn(request);

    expect(agent.agentId).toBe('fleet-agent-1');
    expect(server.rejected).toEqual([]);
    expect(server.agents.get(agent.agentId)?.body).toEqual(request);
    expect(server.agents.get(agent.agentId)?.idempotencyKey).toBe(request.idempotencyKey);
  });

  it('sends the run’s traceparent as the W3C header, outside the signed body', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const agent = await fleet().spawn(spawnRequest({ traceparent }));

    expect(server.rejected).toEqual([]);
    expect(server.agents.get(agent.agentId)?.traceparent).toBe(traceparent);
    expect(server.agents.get(agent.agentId)?.body).not.toHaveProperty('traceparent');
  });

  // The same spawn twice, an unknown agent's status, releasing an unknown agent: the FleetClient
  // conformance suite (conformance/http-fleet.test.ts).
  for (const fault of ['hang', 'drop', 'fail-502'] as const) {
    it(`still starts one agent when the fleet applied the spawn but its answer was lost (${fault})`, async () => {
      server.spawnFaults.push(fault);
      const agent = await fleet().spawn(spawnRequest());

      expect(server.spawnRequests).toBe(2);
      expect(server.agents.size).toBe(1);
      expect(agent.agentId).toBe('fleet-agent-1');
      expect(pauses.delays).toHaveLength(1);
    });
  }

  it('waits as long as a 429 asks (within the cap) before trying again', async () => {
    const limited = new HttpFleetServer(SECRET, () => clock.now());
    await limited.start();
    let calls = 0;
    const throttled: typeof fetch = async (input, init) => {
      calls++;
      if (calls === 1)
        return new Response('{"error":"slow down"}', { status: 429, headers: { 'retry-after': '7' } });
      return fetch(input, init);
    };
    try {
      const agent = await fleet({ url: limited.url, fetch: throttled }).spawn(spawnRequest());
      expect(agent.agentId).toBe('fleet-agent-1');
      expect(pauses.delays).toEqual([7000]);
    } finally {
      await limited.close();
    }
  });

  it('gives up after the configured attempts, backing off from 500 ms, with an error that names the route, not the secret', async () => {
    server.spawnFaults.push('fail-502', 'fail-502', 'fail-502');
    // The jitter's share of each step is its whole here: the steps themselves show.
    const error = await fleet({ random: () => 1 })
      .spawn(spawnRequest())
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FleetRequestError);
    expect((error as Error).message).toContain('POST /fleet/agents answered 502');
    expect((error as Error).message).toContain('gave up after 3 attempts');
    expect((error as Error).message).not.toContain(SECRET);
    expect(pauses.delays).toEqual([500, 1000]);
  });

  it('is refused, and starts nothing, when it signs with the wrong secret', async () => {
    const error = await fleet({ secret: 'not-the-shared-secret' })
      .spawn(spawnRequest())
      .catch((caught: unknown) => caught);

    expect((error as Error).message).toContain('answered 401');
    expect(server.rejected).toEqual(['bad signature']);
    expect(server.agents.size).toBe(0);
  });

  it('is refused when its clock is more than five minutes off the fleet', async () => {
    const skewed = new FakeClock(clock.now() - 6 * 60 * 1000);
    const error = await fleet({ clock: skewed })
      .spawn(spawnRequest())
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('answered 401');
    expect(server.rejected).toEqual(['stale timestamp']);
  });

  it('reads each status the fleet reports as the core understands it', async () => {
    const client = fleet();
    const { agentId } = await client.spawn(spawnRequest());
    const agent = server.agents.get(agentId);
    if (!agent) throw new Error('agent missing');

    expect(await client.status(agentId)).toEqual({ state: 'running' });
    Object.assign(agent, { status: 'exited', exitCode: 0 });
    expect(await client.status(agentId)).toEqual({ state: 'exited', exitCode: 0 });
    Object.assign(agent, { status: 'exited', exitCode: 3 });
    expect(await client.status(agentId)).toEqual({ state: 'exited', exitCode: 3 });
    Object.assign(agent, { status: 'failed', exitCode: undefined });
    expect(await client.status(agentId)).toEqual({ state: 'exited', exitCode: 1 });
    Object.assign(agent, { status: 'lost' });
    expect(await client.status(agentId)).toEqual({ state: 'unknown' });
    expect(server.rejected).toEqual([]);
  });

  it('releases by a signed DELETE', async () => {
    const client = fleet();
    const { agentId } = await client.spawn(spawnRequest());
    await client.release(agentId);

    expect(server.agents.get(agentId)?.released).toBe(true);
    expect(server.rejected).toEqual([]);
  });

  it('refuses a configuration it cannot use safely', () => {
    expect(() => new HttpFleet({ url: 'not a url', secret: SECRET })).toThrow(/absolute http\(s\) URL/);
    expect(() => new HttpFleet({ url: 'ftp://fleet.example', secret: SECRET })).toThrow(/http\(s\)/);
    expect(() => new HttpFleet({ url: 'https://fleet.example/?token=x', secret: SECRET })).toThrow(
      /query string/,
    );
    expect(() => new HttpFleet({ url: 'https://user:pw@fleet.example', secret: SECRET })).toThrow(
      /credentials/,
    );
    expect(() => new HttpFleet({ url: 'https://fleet.example', secret: '' })).toThrow(/secret is required/);
  });
});
