import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FleetRequestError, GithubActionsFleet, type GithubActionsFleetOptions } from '../src/index.ts';
import { GithubActionsServer } from './support/github-actions-server.ts';
import { recordingSleep } from './support/no-sleep.ts';
import { spawnRequest } from './support/spawn-request.ts';

const TOKEN = 'ghs_test_installation_token_0123456789';

describe('GithubActionsFleet against GitHub REST (workflow dispatches and runs)', () => {
  let github: GithubActionsServer;
  let pauses: ReturnType<typeof recordingSleep>;

  beforeEach(async () => {
    github = await new GithubActionsServer(TOKEN).start();
    pauses = recordingSleep();
  });
  afterEach(() => github.close());

  const fleet = (overrides: Partial<GithubActionsFleetOptions> = {}) =>
    new GithubActionsFleet({
      token: TOKEN,
      baseUrl: github.url,
      sleep: pauses.sleep,
      retry: { maxAttempts: 3, timeoutMs: 300 },
      ...overrides,
    });

  it('dispatches the workflow with the work item key, idempotency key, branch and task', async () => {
    const request = spawnRequest();
    const agent = await fleet({ ref: 'trunk' }).spawn(request);

    expect(agent.agentId).toBe(`acme/app:factory ${request.idempotencyKey}`);
    expect(github.dispatches).toEqual([
      {
        owner: 'acme',
        repo: 'app',
        workflow: 'factory-agent.yml',
        ref: 'trunk',
        inputs: {
          work_item_key: 'ENG-7',
          idempotency_key: request.idempotencyKey,
          branch: request.branch,
          task: request.task,
        },
      },
    ]);
  });

  // The same spawn twice, an unknown agent's status, releasing an unknown agent: the FleetClient
  // conformance suite (conformance/github-actions.test.ts).
  for (const fault of ['hang', 'drop', 'fail-502'] as const) {
    it(`finds the first run instead of dispatching again when the dispatch's answer was lost (${fault})`, async () => {
      github.dispatchFaults.push(fault);
      const request = spawnRequest();
      const agent = await fleet().spawn(request);

      expect(github.dispatches).toHaveLength(1);
      expect(github.runsFor(request.idempotencyKey)).toHaveLength(1);
      expect(agent.agentId).toBe(`acme/app:factory ${request.idempotencyKey}`);
    });
  }

  it('keeps looking while GitHub has not listed the new run yet, and still dispatches once', async () => {
    github.dispatchFaults.push('drop');
    github.listingLag = 3;
    await fleet({ settleChecks: 5, settleDelayMs: 2000 }).spawn(spawnRequest());

    expect(github.dispatches).toHaveLength(1);
    expect(pauses.delays.filter((delay) => delay === 2000).length).toBeGreaterThanOrEqual(2);
  });

  it('dispatches again when a failed dispatch left no run behind', async () => {
    let failures = 1;
    const flaky: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      if (request.method === 'POST' && failures-- > 0)
        return new Response('{"message":"Server Error"}', { status: 503 });
      return fetch(request);
    };
    const request = spawnRequest();
    await fleet({ fetch: flaky, settleChecks: 2 }).spawn(request);

    expect(github.dispatches).toHaveLength(1);
    expect(github.runsFor(request.idempotencyKey)).toHaveLength(1);
  });

  it("reads the agent's state from the run's status and conclusion", async () => {
    const client = fleet();
    const request = spawnRequest();
    const { agentId } = await client.spawn(request);
    const [run] = github.runsFor(request.idempotencyKey);
    if (!run) throw new Error('run missing');

    expect(await client.status(agentId)).toEqual({ state: 'running' });
    github.finish(run.id, 'success');
    expect(await client.status(agentId)).toEqual({ state: 'exited', exitCode: 0 });
    github.finish(run.id, 'failure');
    expect(await client.status(agentId)).toEqual({ state: 'exited', exitCode: 1 });
  });

  it('cancels a running run on release; a finished run is not cancelled again', async () => {
    const client = fleet();
    const request = spawnRequest();
    const { agentId } = await client.spawn(request);
    const [run] = github.runsFor(request.idempotencyKey);

    await client.release(agentId);
    await client.release(agentId);

    expect(github.cancelled).toEqual([run?.id]);
    expect(run?.conclusion).toBe('cancelled');
  });

  it('fails with GitHub’s message, and never the token, when the credentials are wrong', async () => {
    const error = await fleet({ token: 'ghs_wrong' })
      .spawn(spawnRequest())
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FleetRequestError);
    expect((error as Error).message).toBe('GitHub list runs answered 401: Bad credentials');
    expect((error as Error).message).not.toContain(TOKEN);
    expect(github.dispatches).toEqual([]);
  });

  it('surfaces a workflow that does not exist as a clear error without dispatching', async () => {
    const error = await fleet({ workflow: 'missing.yml' })
      .spawn(spawnRequest())
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('GitHub dispatch answered 404: Not Found');
    expect(github.runs).toEqual([]);
  });

  it('refuses a task too long for workflow inputs before calling GitHub', async () => {
    await expect(fleet().spawn(spawnRequest({ task: 'x'.repeat(70_000) }))).rejects.toThrow(
      /too long for workflow inputs/,
    );
    expect(github.dispatches).toEqual([]);
  });

  it('refuses repositories and agent ids that are not owner/repo', async () => {
    expect(() => fleet({ repository: 'no-slash' })).toThrow(/owner\/repo/);
    expect(() => fleet({ repository: '../etc' })).toThrow(/owner\/repo/);
    await expect(
      fleet().spawn(spawnRequest({ route: { name: 'x', repository: 'a/b/c', agent: 'c' } })),
    ).rejects.toThrow(/owner\/repo/);
    await expect(fleet().status('not-an-agent-id')).rejects.toThrow(/not an agent id/);
    expect(() => new GithubActionsFleet({ token: '' })).toThrow(/token is required/);
  });

  it('asks a token provider for a fresh token on every request', async () => {
    let issued = 0;
    await fleet({
      token: async () => {
        issued++;
        return TOKEN;
      },
    }).spawn(spawnRequest());
    expect(issued).toBe(2);
  });

  it('a token that dies mid-run (401) is asked for again with refresh, once, and the dispatch is sent once', async () => {
    const asked: { repository: string; refresh: boolean }[] = [];
    const spawner = fleet({
      token: async (request) => {
        asked.push(request);
        return request.refresh ? 'ghs_fresh_token' : TOKEN;
      },
    });
    github.token = 'ghs_fresh_token'; // GitHub no longer takes the cached token
    const request = spawnRequest();
    await spawner.spawn(request);
    expect(github.dispatches).toHaveLength(1);
    expect(github.runsFor(request.idempotencyKey)).toHaveLength(1);
    expect(asked.filter((ask) => ask.refresh)).toHaveLength(2); // the run look-up and the dispatch
    expect(new Set(asked.map((ask) => ask.repository))).toEqual(new Set(['acme/app']));
    const dispatches = github.requests.filter((line) => line.endsWith('/dispatches'));
    expect(dispatches).toHaveLength(2); // refused once with the dead token, accepted once
  });

  it('a refreshed token refused again fails the call after one retry; nothing is dispatched', async () => {
    let asked = 0;
    const spawner = fleet({
      token: async () => {
        asked++;
        return 'ghs_revoked_token';
      },
    });
    await expect(spawner.spawn(spawnRequest())).rejects.toThrow(/401/);
    expect(asked).toBe(2);
    expect(github.dispatches).toEqual([]);
  });

  it('a fixed token is not asked again after a 401', async () => {
    await expect(fleet({ token: 'ghs_wrong' }).spawn(spawnRequest())).rejects.toThrow(/401/);
    expect(github.requests).toHaveLength(1);
  });
});
