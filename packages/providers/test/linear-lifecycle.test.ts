import { traceIdFor } from '@software-factory/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceIdIn } from '../src/shared/trace-metadata.ts';
import { DirectBench, TENANT } from './support/direct-bench.ts';
import { fixtureJson, pullRequestExample } from './support/fixtures.ts';
import { defaultStates } from './support/linear-server.ts';

const TEAM_ID = 'eeaa0cbd-xxxx-xxxx-xxxx-1c701c3485f1';
const ISSUE_ID = '236e0fe8-xxxx-xxxx-xxxx-b2df06e33810';
const MARKERS = { inProgress: 'factory:in-progress', needsReview: 'factory:needs-review' };

// Linear, Slack and GitHub on loopback; completion waits for the merge; markers and a review state set.
let bench: DirectBench;
beforeAll(async () => {
  bench = await new DirectBench({
    settings: { completion: { on: 'merged' } },
    linear: { markers: MARKERS, writeback: { needsReview: { name: 'In Review' } } },
  }).start();
  bench.linear.addTeam({ id: TEAM_ID, key: 'KOR', name: 'korosuke613', states: defaultStates('kor') });
  bench.linear.labels.set('label-factory', { id: 'label-factory', name: 'factory' });
  // The review marker exists as a workspace label; the in-progress one does not yet.
  bench.linear.labels.set('label-review', { id: 'label-review', name: 'factory:needs-review' });
  bench.linear.addIssue({
    id: ISSUE_ID,
    identifier: 'KOR-11',
    number: 11,
    title: 'Print JSON with --json',
    description:
      'The export command should print JSON when --json is passed. Done when the JSON matches the table rows.',
    url: 'https://linear.app/korosuke613/issue/KOR-11/webhook-test',
    updatedAt: '2026-01-01T11:59:00.000Z',
    priority: 0,
    stateId: 'kor-todo',
    teamId: TEAM_ID,
    labels: [{ id: 'label-factory', name: 'factory' }],
  });
});
afterAll(() => bench.stop());

/** The captured issue.create delivery, as a clear ready issue (Todo, labelled factory). */
function issueCreated(): string {
  const payload = fixtureJson('linear/issue.create.korosuke613.json') as { data: Record<string, unknown> };
  const issue = bench.linear.issues.get(ISSUE_ID);
  return JSON.stringify({
    ...payload,
    data: {
      ...payload.data,
      title: issue?.title,
      description: issue?.description,
      identifier: 'KOR-11',
      updatedAt: '2026-01-01T11:59:00.000Z',
      stateId: 'kor-todo',
      state: { id: 'kor-todo', name: 'Todo', color: '#e2e2e2', type: 'unstarted' },
      labelIds: ['label-factory'],
      labels: [{ id: 'label-factory', name: 'factory', color: '#5e6ad2' }],
    },
    webhookTimestamp: bench.clock.now(),
  });
}

function pullRequest(action: 'ready_for_review' | 'closed', merged = false): string {
  const example = pullRequestExample(action);
  Object.assign(example.pull_request, {
    title: 'KOR-11: print JSON with --json',
    draft: false,
    merged,
    ...(merged ? { merged_at: '2026-01-01T14:00:00Z', state: 'closed' } : {}),
    head: { ...(example.pull_request.head as object), ref: 'factory/kor-11' },
  });
  return JSON.stringify(example);
}

async function postLinear(body: string) {
  return bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
}

async function postGithub(body: string) {
  return bench.post(`/t/${TENANT}/webhooks/github`, body, bench.githubHeaders(body));
}

const trace = () => traceIdFor(TENANT, ISSUE_ID, 1);

describe('Linear lifecycle markers, confirmed by reading back, with needs-review before the merge', () => {
  it('1. Linear acknowledges the dispatch write but does not keep it: the delivery fails, no dispatch comment yet', async () => {
    bench.linear.forgetUpdates = 1;
    const response = await postLinear(issueCreated());
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'incomplete' });
    expect(bench.linear.updateInputs).toHaveLength(1);
    expect(bench.linear.stateOf(ISSUE_ID)?.name).toBe('Todo');
    expect(bench.linear.comments.size).toBe(0);
    expect(bench.fleet.spawnCalls).toBe(0);
    const record = await bench.store.getRecord(TENANT, ISSUE_ID);
    expect(record?.status).toBe('dispatched');
    expect(record?.pending.map((effect) => effect.kind)).toEqual(['set-state', 'spawn', 'comment']);
  });

  it('2. Linear retries the delivery: the state and the in-progress label land, are confirmed, and only then the comment', async () => {
    bench.clock.advance(60_000);
    const response = await postLinear(issueCreated());
    expect(response.status).toBe(200);
    expect(bench.linear.stateOf(ISSUE_ID)?.name).toBe('In Progress');
    expect(bench.linear.labelsOf(ISSUE_ID)).toEqual(['factory', 'factory:in-progress']);
    // The missing label was created in the team once, then added in the same issueUpdate as the state.
    const created = [...bench.linear.labels.values()].filter((label) => label.name === MARKERS.inProgress);
    expect(created).toEqual([expect.objectContaining({ teamId: TEAM_ID })]);
    expect(bench.linear.updateInputs.at(-1)?.input).toEqual({
      stateId: 'kor-progress',
      addedLabelIds: [created[0]?.id],
    });
    expect(bench.fleet.spawnCalls).toBe(1);
    const comments = [...bench.linear.comments.values()];
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toMatch(/^An agent \(coder\) in Codertocat\/Hello-World is working on this/);
    expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.pending).toEqual([]);
  });

  it('3. the pull request is ready: the issue moves to In Review, the review label replaces the in-progress one', async () => {
    bench.clock.advance(3_600_000);
    const response = await postGithub(pullRequest('ready_for_review'));
    expect(response.status).toBe(200);
    expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.status).toBe('dispatched');
    expect(bench.linear.stateOf(ISSUE_ID)?.name).toBe('In Review');
    expect(bench.linear.labelsOf(ISSUE_ID)).toEqual(['factory', 'factory:needs-review']);
  });

  it('4. GitHub redelivers the same event: nothing is written again', async () => {
    const writes = bench.linear.updateInputs.length;
    const comments = bench.linear.comments.size;
    const body = pullRequest('ready_for_review');
    const headers = bench.githubHeaders(body);
    await bench.post(`/t/${TENANT}/webhooks/github`, body, headers);
    // A fresh delivery of the same state (a second ready_for_review) is no second review write either.
    await postGithub(body);
    expect(bench.linear.updateInputs).toHaveLength(writes);
    expect(bench.linear.comments.size).toBe(comments);
  });

  it('5. a person merges it: the issue is Done and both markers are gone', async () => {
    bench.clock.advance(3_600_000);
    const response = await postGithub(pullRequest('closed', true));
    expect(response.status).toBe(200);
    expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.status).toBe('done');
    expect(bench.linear.stateOf(ISSUE_ID)?.name).toBe('Done');
    expect(bench.linear.labelsOf(ISSUE_ID)).toEqual(['factory']);
    expect([...bench.linear.comments.values()].at(-1)?.body).toMatch(/^Done: .* was merged\./);
  });

  it('6. every comment carries the run’s trace id where Linear does not render it, and nothing was merged by the factory', () => {
    const comments = [...bench.linear.comments.values()];
    expect(comments.length).toBeGreaterThanOrEqual(2);
    for (const comment of comments) {
      expect(traceIdIn(comment.body)).toBe(trace());
      // The id is only in the HTML comment, after the visible text.
      const visible = comment.body.replace(/<!--[\s\S]*?-->/g, '');
      expect(visible).not.toContain(trace());
    }
    expect(bench.github.requests.filter((request) => /\/merge\b/.test(request))).toEqual([]);
    expect(bench.github.requests.every((request) => request.startsWith('GET '))).toBe(true);
  });
});
