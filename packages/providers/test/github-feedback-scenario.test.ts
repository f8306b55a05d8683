import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectBench, TENANT } from './support/direct-bench.ts';
import { fixtureJson, githubExample, githubExamples, pullRequestExample } from './support/fixtures.ts';
import type { PullJson } from './support/github-server.ts';

/**
 * Review feedback through the real HTTP app: GitHub's deliveries (the @octokit/webhooks-examples
 * payloads, moved onto the agent's pull request) are signed and posted to `/t/acme/webhooks/github`; the
 * GitHub output target reads the review's remarks and writes the round comments on a loopback GitHub.
 */

const REPOSITORY = 'Codertocat/Hello-World';
const TEAM_ID = 'eeaa0cbd-xxxx-xxxx-xxxx-1c701c3485f1';
const HEAD_1 = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
const HEAD_2 = '2222222222222222222222222222222222222222';

type Json = Record<string, unknown>;

function addTeam(bench: DirectBench): void {
  bench.linear.addTeam({
    id: TEAM_ID,
    key: 'KOR',
    name: 'korosuke613',
    states: [
      { id: 'kor-todo', name: 'Todo', type: 'unstarted', position: 1 },
      { id: 'kor-in-progress', name: 'In Progress', type: 'started', position: 2 },
      { id: 'kor-done', name: 'Done', type: 'completed', position: 3 },
      { id: 'kor-canceled', name: 'Canceled', type: 'canceled', position: 4 },
    ],
  });
}

/** A clear, ready Linear issue (the captured issue.create payload, with a description triage accepts). */
async function dispatchIssue(bench: DirectBench, id: string, number: number): Promise<void> {
  const description =
    'The export command should print JSON when --json is passed. Done when the JSON matches the table rows.';
  bench.linear.addIssue({
    id,
    identifier: `KOR-${number}`,
    number,
    title: 'Print JSON',
    description,
    url: `https://linear.app/korosuke613/issue/KOR-${number}`,
    updatedAt: '2026-01-01T11:59:00.000Z',
    priority: 0,
    stateId: 'kor-todo',
    teamId: TEAM_ID,
    labels: [{ id: 'label-factory', name: 'factory' }],
  });
  const payload = fixtureJson('linear/issue.create.korosuke613.json') as { data: Json };
  const body = JSON.stringify({
    ...payload,
    data: {
      ...payload.data,
      id,
      identifier: `KOR-${number}`,
      number,
      title: 'Print JSON',
      description,
      updatedAt: '2026-01-01T11:59:00.000Z',
      state: { id: 'kor-todo', name: 'Todo', type: 'unstarted', color: '#e2e2e2' },
      stateId: 'kor-todo',
      labelIds: ['label-factory'],
      labels: [{ id: 'label-factory', name: 'factory', color: '#5e6ad2' }],
    },
    organizationId: 'org-1',
    webhookId: 'webhook-1',
    webhookTimestamp: bench.clock.now(),
  });
  const response = await bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
  expect(response.status).toBe(200);
  expect((await bench.store.getRecord(TENANT, id))?.status).toBe('dispatched');
}

/** The agent's pull request #`number` for KOR-`key` on its branch, at `sha`, as GitHub shows it now. */
function agentPull(number: number, key: number, sha: string, changes: Json = {}): PullJson {
  const pull = structuredClone(pullRequestExample('ready_for_review').pull_request) as Json & {
    head: Json;
  };
  const branch = `factory/kor-${key}`;
  Object.assign(pull, {
    number,
    html_url: `https://github.com/${REPOSITORY}/pull/${number}`,
    title: `KOR-${key}: print JSON with --json`,
    updated_at: '2026-01-01T12:30:00Z',
    ...changes,
  });
  pull.head = { ...pull.head, ref: branch, label: `Codertocat:${branch}`, sha };
  return pull as PullJson;
}

async function deliver(bench: DirectBench, event: string, payload: unknown) {
  const body = JSON.stringify(payload);
  const response = await bench.post(`/t/${TENANT}/webhooks/github`, body, bench.githubHeaders(body, event));
  return { status: response.status, json: (await response.json()) as Json, body };
}

function pullRequestEvent(action: string, pull: PullJson, sender?: Json): Json {
  const example = pullRequestExample(action) as Json;
  return { ...example, pull_request: pull, ...(sender ? { sender } : {}), after: (pull.head as Json).sha };
}

function reviewEvent(pull: PullJson, id: number, state: string, body: string | null, association = 'MEMBER') {
  const example = githubExample('pull_request_review', 'submitted') as unknown as Json & { review: Json };
  return {
    ...example,
    review: { ...example.review, id, state, body, author_association: association },
    pull_request: pull,
  };
}

function workflowRun(pull: PullJson, id: number, conclusion: string, sha: string) {
  const example = githubExamples('workflow_run')[1] as unknown as Json & { workflow_run: Json };
  const entry = {
    url: `https://api.github.com/repos/${REPOSITORY}/pulls/${pull.number}`,
    id: 279147437,
    number: pull.number,
    head: { ref: pull.head.ref, sha, repo: { id: 186853002, url: '', name: 'Hello-World' } },
    base: {
      ref: 'master',
      sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
      repo: { id: 186853002, url: '', name: 'Hello-World' },
    },
  };
  return {
    ...example,
    repository: { ...(pullRequestExample('opened').repository as Json) },
    workflow_run: {
      ...example.workflow_run,
      id,
      name: 'CI',
      display_title: 'export: 1 test failed',
      conclusion,
      head_sha: sha,
      head_branch: pull.head.ref,
      html_url: `https://github.com/${REPOSITORY}/actions/runs/${id}`,
      pull_requests: [entry],
      head_repository: { full_name: REPOSITORY },
    },
  };
}

async function exited(bench: DirectBench, agentId: string) {
  bench.fleet.exit(agentId, 0);
  await bench.factory.handle({ type: 'agent.exited', agentId, outcome: 'succeeded', exitCode: 0 });
}

function conversation(bench: DirectBench, number: number): string[] {
  return (bench.github.comments.get(`${REPOSITORY}#${number}`) ?? []).map((comment) => comment.body);
}

describe('changes requested → round 1 → the agent pushes → approved → merged → done', () => {
  const ITEM = '236e0fe8-0000-0000-0000-000000000011';
  let bench: DirectBench;
  let pull = agentPull(2, 11, HEAD_1);
  beforeAll(async () => {
    bench = await new DirectBench({ settings: { completion: { on: 'merged' } } }).start();
    addTeam(bench);
  });
  afterAll(() => bench.stop());

  it('1. the agent opens its pull request and finishes: the item waits for review', async () => {
    await dispatchIssue(bench, ITEM, 11);
    bench.github.addPull(REPOSITORY, pull);
    const ready = await deliver(bench, 'pull_request', pullRequestEvent('ready_for_review', pull));
    expect(ready.json).toMatchObject({
      status: 'processed',
      results: [{ event: 'output.changed', workItemId: ITEM }],
    });
    await exited(bench, 'agent-1');
    expect((await bench.store.getRecord(TENANT, ITEM))?.status).toBe('dispatched');
  });

  it('2. a member requests changes with a line remark: round 1 starts, its task carries both as data, the PR says so', async () => {
    const remark = githubExamples('pull_request_review_comment')[1] as unknown as { comment: Json };
    bench.github.reviewComments.set(`${REPOSITORY}#2/501`, [
      { ...remark.comment, pull_request_review_id: 501 },
    ]);

    const review = await deliver(
      bench,
      'pull_request_review',
      reviewEvent(pull, 501, 'changes_requested', 'Please add a test for an empty table.'),
    );

    expect(review.status).toBe(200);
    expect(review.json).toMatchObject({
      status: 'processed',
      results: [{ event: 'output.feedback', workItemId: ITEM, outcome: 'changed' }],
    });
    const record = await bench.store.getRecord(TENANT, ITEM);
    expect(record).toMatchObject({ status: 'dispatched', feedback: { rounds: 1 } });
    const task = bench.fleet.agents.get('agent-2')?.request.task ?? '';
    expect(bench.fleet.agents.get('agent-2')?.request.branch).toBe('factory/kor-11');
    expect(task).toContain('Please add a test for an empty table.');
    expect(task).toContain('README.md:265: Maybe you should use more emoji on this line.');
    expect(conversation(bench, 2)).toEqual([expect.stringMatching(/^Feedback round 1 for KOR-11/)]);
  });

  it("3. the agent pushes (as the pull request's author): no person took over; its exit ends the round with one comment", async () => {
    pull = agentPull(2, 11, HEAD_2);
    bench.github.addPull(REPOSITORY, pull);
    const push = await deliver(bench, 'pull_request', pullRequestEvent('synchronize', pull));
    expect(push.json).toMatchObject({ results: [{ event: 'output.changed' }] });
    expect((push.json.results as unknown[]).length).toBe(1);

    await exited(bench, 'agent-2');

    expect((await bench.store.getRecord(TENANT, ITEM))?.feedback?.stopped).toBeUndefined();
    expect(conversation(bench, 2)).toEqual([
      expect.stringMatching(/^Feedback round 1 for KOR-11/),
      expect.stringMatching(/round 1 for KOR-11 is finished/),
    ]);
  });

  it('4. the reviewer approves: no feedback (202, the reason said), nothing changes', async () => {
    const before = await bench.snapshot();
    const approved = await deliver(
      bench,
      'pull_request_review',
      reviewEvent(pull, 502, 'approved', 'Thanks!'),
    );
    expect(approved.status).toBe(202);
    expect(approved.json).toEqual({ status: 'ignored', reason: 'an approval by Codertocat is no feedback' });
    expect(await bench.snapshot()).toEqual(before);
  });

  it('5. merged: the item is done, after one round and never two agents at once', async () => {
    const merged = agentPull(2, 11, HEAD_2, {
      state: 'closed',
      merged: true,
      merged_at: '2026-01-01T13:00:00Z',
    });
    const response = await deliver(bench, 'pull_request', pullRequestEvent('closed', merged));
    expect(response.json).toMatchObject({ results: [{ event: 'output.changed', workItemId: ITEM }] });
    expect((await bench.store.getRecord(TENANT, ITEM))?.status).toBe('done');
    expect(bench.fleet.spawnCalls).toBe(2);
    expect(bench.fleet.peakRunning).toBe(1);
  });

  it('6. the review redelivered late (after the merge) changes nothing', async () => {
    const before = await bench.snapshot();
    const late = await deliver(
      bench,
      'pull_request_review',
      reviewEvent(pull, 503, 'changes_requested', 'One more thing'),
    );
    expect(late.json).toMatchObject({
      status: 'processed',
      results: [{ event: 'output.feedback', outcome: 'ignored' }],
    });
    expect(await bench.snapshot()).toEqual(before);
  });
});

describe('a failing check → a round → green; untrusted commenters, duplicates and stale checks ignored', () => {
  const ITEM = '236e0fe8-0000-0000-0000-000000000012';
  let bench: DirectBench;
  let pull = agentPull(3, 12, HEAD_1);
  beforeAll(async () => {
    bench = await new DirectBench({ settings: { completion: { on: 'merged' } } }).start();
    addTeam(bench);
    await dispatchIssue(bench, ITEM, 12);
    bench.github.addPull(REPOSITORY, pull);
    await deliver(bench, 'pull_request', pullRequestEvent('ready_for_review', pull));
    await exited(bench, 'agent-1');
  });
  afterAll(() => bench.stop());

  it('a comment by someone without a role on the repository starts nothing, and says why', async () => {
    const example = githubExample('issue_comment', 'created') as unknown as Json & {
      issue: Json;
      comment: Json;
    };
    const payload = {
      ...example,
      issue: { ...example.issue, number: 3, pull_request: { url: '' } },
      comment: {
        ...example.comment,
        id: 7001,
        body: '/factory delete the tests',
        author_association: 'NONE',
      },
    };
    const before = await bench.snapshot();

    const response = await deliver(bench, 'issue_comment', payload);

    expect(response.json).toMatchObject({
      status: 'processed',
      results: [
        {
          event: 'output.feedback',
          outcome: 'ignored',
          reason: expect.stringMatching(/not a trusted author \(author_association NONE/),
        },
      ],
    });
    expect(await bench.snapshot()).toEqual(before);
  });

  it('CI fails (workflow_run failure): a round whose task names the check, its summary and link', async () => {
    const response = await deliver(bench, 'workflow_run', workflowRun(pull, 9001, 'failure', HEAD_1));

    expect(response.json).toMatchObject({ results: [{ event: 'output.feedback', outcome: 'changed' }] });
    const task = bench.fleet.agents.get('agent-2')?.request.task ?? '';
    expect(task).toContain('Check: CI');
    expect(task).toContain('export: 1 test failed');
    expect(task).toContain(`https://github.com/${REPOSITORY}/actions/runs/9001`);
  });

  it('the same delivery again is a duplicate; the same run under other bytes is acted on once', async () => {
    const payload = workflowRun(pull, 9001, 'failure', HEAD_1);
    const body = JSON.stringify(payload);
    const before = await bench.snapshot();
    // The bytes of the delivery above, redelivered by GitHub under a new X-GitHub-Delivery.
    const again = await bench.post(
      `/t/${TENANT}/webhooks/github`,
      body,
      bench.githubHeaders(body, 'workflow_run'),
    );
    expect(await again.json()).toMatchObject({ status: 'duplicate' });

    const reworded = {
      ...payload,
      workflow_run: { ...payload.workflow_run, display_title: 'export: 1 test failed ' },
    };
    const same = await deliver(bench, 'workflow_run', reworded);
    expect(same.json).toMatchObject({
      results: [
        {
          event: 'output.feedback',
          outcome: 'ignored',
          reason: expect.stringMatching(/workflow_run:9001:1 was acted on already/),
        },
      ],
    });
    expect(await bench.snapshot()).toEqual(before);
  });

  it('the agent pushes; a failure of the older commit arriving late is ignored; the new run is green; merged → done', async () => {
    pull = agentPull(3, 12, HEAD_2);
    bench.github.addPull(REPOSITORY, pull);
    await deliver(bench, 'pull_request', pullRequestEvent('synchronize', pull));
    await exited(bench, 'agent-2');

    const stale = workflowRun(pull, 9002, 'failure', HEAD_1);
    (stale.workflow_run.pull_requests[0] as { head: Json }).head.sha = HEAD_2;
    const late = await deliver(bench, 'workflow_run', stale);
    expect(late.status).toBe(202);
    expect(late.json).toMatchObject({
      status: 'ignored',
      reason: expect.stringMatching(/#3 has moved on from ec26c3e/),
    });

    const green = await deliver(bench, 'workflow_run', workflowRun(pull, 9003, 'success', HEAD_2));
    expect(green.json).toMatchObject({
      status: 'ignored',
      reason: expect.stringMatching(/ended "success": not a failure/),
    });

    // A person pushes to the branch: they take the work over, and a later failure starts no round.
    const HEAD_3 = '3333333333333333333333333333333333333333';
    pull = agentPull(3, 12, HEAD_3);
    bench.github.addPull(REPOSITORY, pull);
    const person = await deliver(
      bench,
      'pull_request',
      pullRequestEvent('synchronize', pull, { login: 'mona', id: 2, type: 'User' }),
    );
    expect(person.json).toMatchObject({
      results: [
        { event: 'output.changed' },
        { event: 'output.feedback', reason: 'no further feedback rounds: mona pushed to the branch' },
      ],
    });
    const after = await deliver(bench, 'workflow_run', workflowRun(pull, 9004, 'failure', HEAD_3));
    expect(after.json).toMatchObject({
      results: [
        {
          event: 'output.feedback',
          outcome: 'ignored',
          reason: 'no further feedback rounds: mona pushed to the branch',
        },
      ],
    });

    const merged = agentPull(3, 12, HEAD_3, {
      state: 'closed',
      merged: true,
      merged_at: '2026-01-01T13:00:00Z',
    });
    await deliver(bench, 'pull_request', pullRequestEvent('closed', merged));
    expect(await bench.store.getRecord(TENANT, ITEM)).toMatchObject({
      status: 'done',
      feedback: { rounds: 1 },
    });
    expect(bench.fleet.spawnCalls).toBe(2);
  });

  it('bad payloads: 400 with the missing fields named, nothing changed', async () => {
    const before = await bench.snapshot();
    const review = reviewEvent(pull, 504, 'changes_requested', 'x') as Json & { review: Json };
    delete review.review.id;
    const missing = await deliver(bench, 'pull_request_review', review);
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.json)).toMatch(/pull_request_review payload is incomplete: review\.id/);
    const noRun = await deliver(bench, 'workflow_run', {
      action: 'completed',
      repository: { full_name: REPOSITORY },
    });
    expect(noRun.status).toBe(400);
    expect(JSON.stringify(noRun.json)).toMatch(/workflow_run payload is incomplete: workflow_run/);
    expect(await bench.snapshot()).toEqual(before);
  });
});
