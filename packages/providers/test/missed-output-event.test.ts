import type { FactorySettingsInput } from '@software-factory/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectBench, TENANT } from './support/direct-bench.ts';
import { fixtureJson, githubExample, pullRequestExample } from './support/fixtures.ts';

// The ids of the captured Linear payloads (test/fixtures/linear), as the end-to-end scenario uses them.
const TEAM_ID = 'eeaa0cbd-xxxx-xxxx-xxxx-1c701c3485f1';
const ISSUE_ID = '236e0fe8-xxxx-xxxx-xxxx-b2df06e33810';
const TODO = 'e788ada6-xxxx-xxxx-xxxx-5717c26104ad';
const REPOSITORY = 'Codertocat/Hello-World';
const MINUTE = 60_000;

let bench: DirectBench;
beforeEach(() => startBench());
afterEach(() => bench.stop());

async function startBench(settings: FactorySettingsInput = {}): Promise<void> {
  bench = await new DirectBench({
    settings: {
      retry: { maxAttempts: 3 },
      agents: { outputGrace: '30m', checkInterval: '5m', timeout: '2h' },
      ...settings,
    },
  }).start();
  bench.linear.addTeam({
    id: TEAM_ID,
    key: 'KOR',
    name: 'korosuke613',
    states: [
      { id: TODO, name: 'Todo', type: 'unstarted', position: 1 },
      { id: 'kor-in-progress', name: 'In Progress', type: 'started', position: 2 },
      { id: 'kor-done', name: 'Done', type: 'completed', position: 3 },
    ],
  });
  bench.linear.addIssue({
    id: ISSUE_ID,
    identifier: 'KOR-12',
    number: 12,
    title: 'Print JSON',
    description: 'Print JSON when --json is passed. Done when the JSON matches the table rows.',
    url: 'https://linear.app/korosuke613/issue/KOR-12/print-json',
    updatedAt: '2026-01-01T11:59:00.000Z',
    priority: 0,
    stateId: TODO,
    teamId: TEAM_ID,
    labels: [{ id: 'label-factory', name: 'factory' }],
  });
}

/** A clear, ready issue arrives through Linear's signed webhook: the factory dispatches one agent. */
async function dispatchThroughLinear(): Promise<string> {
  const payload = fixtureJson('linear/issue.create.korosuke613.json') as { data: Record<string, unknown> };
  const update = fixtureJson('linear/issue.update.cycle-and-state.korosuke613.json') as {
    data: { state: unknown; stateId: string };
  };
  const body = JSON.stringify({
    ...payload,
    data: {
      ...payload.data,
      identifier: 'KOR-12',
      title: 'Print JSON',
      description: 'Print JSON when --json is passed. Done when the JSON matches the table rows.',
      updatedAt: '2026-01-01T11:59:00.000Z',
      state: update.data.state,
      stateId: update.data.stateId,
      labelIds: ['label-factory'],
      labels: [{ id: 'label-factory', name: 'factory', color: '#5e6ad2' }],
    },
    webhookTimestamp: bench.clock.now(),
  });
  const response = await bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
  expect(response.status).toBe(200);
  expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.status).toBe('dispatched');
  const [agentId] = bench.fleet.agentsFor(ISSUE_ID);
  return agentId ?? '';
}

/** The agent's pull request as GitHub's REST API holds it; no webhook about it is ever delivered. */
function pullRequestAtGitHub(state: { draft: boolean }): void {
  const branch = bench.fleet.agents.get(bench.fleet.agentsFor(ISSUE_ID)[0] ?? '')?.request.branch ?? '';
  const { pull_request } = pullRequestExample('opened');
  bench.github.addPull(REPOSITORY, {
    ...pull_request,
    number: 2,
    title: 'KOR-12: print JSON with --json',
    state: 'open',
    draft: state.draft,
    merged: false,
    head: { ...(pull_request.head as object), ref: branch, label: `Codertocat:${branch}` },
  } as Parameters<DirectBench['github']['addPull']>[1]);
}

const exited = (agentId: string) =>
  ({ type: 'agent.exited', agentId, workItemId: ISSUE_ID, outcome: 'succeeded', exitCode: 0 }) as const;

describe('direct transport: the pull request event never arrives', () => {
  it('the agent exits, its pull request is ready at GitHub: done, one agent, no retry', async () => {
    const agentId = await dispatchThroughLinear();
    pullRequestAtGitHub({ draft: false });

    const result = await bench.factory.handle(exited(agentId));

    expect(result.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
    const record = await bench.store.getRecord(TENANT, ISSUE_ID);
    expect(record?.attempts).toBe(1);
    expect(bench.fleet.spawnCalls).toBe(1);
    expect(bench.linear.stateOf(ISSUE_ID)?.name).toBe('Done');
    // One lookup by branch, not a sweep of the repository.
    expect(bench.github.requests.filter((request) => /\/pulls\?/.test(request))).toHaveLength(1);
  });

  it('the pull request is still a draft: the attempt waits out the grace, then fails as before', async () => {
    const agentId = await dispatchThroughLinear();
    pullRequestAtGitHub({ draft: true });
    await bench.factory.handle(exited(agentId));
    expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.status).toBe('dispatched');

    bench.clock.advance(25 * MINUTE);
    await bench.factory.handle({ type: 'tick' });
    expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.status).toBe('dispatched');

    bench.clock.advance(5 * MINUTE);
    await bench.factory.handle({ type: 'tick' });
    const record = await bench.store.getRecord(TENANT, ISSUE_ID);
    expect(record?.reason).toMatch(/the agent finished without a ready output/);
    expect(record?.attempts).toBe(1);
    expect(bench.github.requests.filter((request) => /\/pulls\?/.test(request))).toHaveLength(2);
  });
});

describe('direct transport: what happens to a pull request waiting for review is never announced', () => {
  beforeEach(async () => {
    await bench.stop();
    await startBench({ completion: { on: 'merged', checkInterval: '15m' } });
  });

  it('the tick reads the pull request every completion.checkInterval and completes the item once it is merged', async () => {
    const agentId = await dispatchThroughLinear();
    pullRequestAtGitHub({ draft: false });
    const exit = await bench.factory.handle(exited(agentId));
    expect(exit.reason).toMatch(/marked for review/);
    const reads = () => bench.github.requests.filter((request) => /\/pulls\/2$/.test(request)).length;

    bench.clock.advance(15 * MINUTE);
    await bench.factory.handle({ type: 'tick' });
    expect(reads()).toBe(1);
    expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.status).toBe('dispatched');

    // A person merges it; GitHub's delivery of that is lost, and GitHub does not send it again.
    const pull = bench.github.pulls.get(`${REPOSITORY}#2`);
    if (!pull) throw new Error('the pull request is not at GitHub');
    Object.assign(pull, { state: 'closed', merged: true, merged_at: '2026-01-02T10:00:00Z' });
    bench.clock.advance(15 * MINUTE);
    const tick = await bench.factory.handle({ type: 'tick' });

    expect(tick.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
    expect(reads()).toBe(2);
    expect(bench.linear.stateOf(ISSUE_ID)?.name).toBe('Done');
    expect(bench.fleet.spawnCalls).toBe(1);
  });

  it('a review asking for changes, its delivery lost, is found by the next check and starts a feedback round', async () => {
    const agentId = await dispatchThroughLinear();
    pullRequestAtGitHub({ draft: false });
    await bench.factory.handle(exited(agentId));
    const started = (await bench.store.getRecord(TENANT, ISSUE_ID))?.dispatch?.dispatchedAt ?? 0;
    const example = githubExample('pull_request_review', 'submitted') as unknown as {
      review: Record<string, unknown>;
    };
    bench.github.reviews.set(`${REPOSITORY}#2`, [
      {
        ...example.review,
        id: 501,
        state: 'CHANGES_REQUESTED',
        body: 'Please add a test for --json with no rows.',
        submitted_at: new Date(started + MINUTE).toISOString(),
      },
    ]);

    bench.clock.advance(15 * MINUTE);
    const tick = await bench.factory.handle({ type: 'tick' });

    expect(tick.transitions.map((t) => `${t.from}→${t.to}`)).toEqual([
      'dispatched→queued',
      'queued→dispatched',
    ]);
    const record = await bench.store.getRecord(TENANT, ISSUE_ID);
    expect(record?.feedback).toMatchObject({ rounds: 1, seen: ['review:501'] });
    expect(bench.fleet.spawnCalls).toBe(2);
    const [, second] = bench.fleet.agentsFor(ISSUE_ID);
    expect(bench.fleet.agents.get(second ?? '')?.request.task).toContain(
      'Please add a test for --json with no rows.',
    );

    // The next check finds the review taken.
    bench.clock.advance(15 * MINUTE);
    await bench.factory.handle({ type: 'tick' });
    expect(bench.fleet.spawnCalls).toBe(2);
  });
});
