import { traceIdFor } from '@software-factory/sdk';
import { slotsIn } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceIdIn } from '../src/shared/trace-metadata.ts';
import { DirectBench, GITHUB_APP, TENANT, TOKENS } from './support/direct-bench.ts';
import { fixtureJson, pullRequestExample } from './support/fixtures.ts';

const TEAM_ID = 'eeaa0cbd-xxxx-xxxx-xxxx-1c701c3485f1';
const ISSUE_ID = '236e0fe8-xxxx-xxxx-xxxx-b2df06e33810';

let bench: DirectBench;

/** The whole scenario, with GitHub reached through a personal token or as a GitHub App installation. */
describe.each([
  { mode: 'a personal token', github: 'token' as const },
  { mode: 'a GitHub App installation', github: 'app' as const },
])('with GitHub through $mode', ({ github }) => {
  beforeAll(async () => {
    bench = await new DirectBench({ github }).start();
    seedLinear();
  });
  afterAll(() => bench.stop());
  scenario(github);
});

/** Linear's side: the team of the captured payload, with its real Backlog/Todo state ids, and its issue. */
function seedLinear(): void {
  bench.linear.addTeam({
    id: TEAM_ID,
    key: 'KOR',
    name: 'korosuke613',
    states: [
      { id: 'c02edc3a-xxxx-xxxx-xxxx-85c349766a13', name: 'Backlog', type: 'backlog', position: 0 },
      { id: 'e788ada6-xxxx-xxxx-xxxx-5717c26104ad', name: 'Todo', type: 'unstarted', position: 1 },
      { id: 'kor-in-progress', name: 'In Progress', type: 'started', position: 2 },
      { id: 'kor-done', name: 'Done', type: 'completed', position: 3 },
      { id: 'kor-canceled', name: 'Canceled', type: 'canceled', position: 4 },
    ],
  });
  bench.linear.addIssue({
    id: ISSUE_ID,
    identifier: 'KOR-11',
    number: 11,
    title: 'Fix it',
    description: 'It is broken.',
    url: 'https://linear.app/korosuke613/issue/KOR-11/webhook-test',
    updatedAt: '2026-01-01T11:59:00.000Z',
    priority: 0,
    stateId: 'e788ada6-xxxx-xxxx-xxxx-5717c26104ad',
    teamId: TEAM_ID,
    labels: [{ id: 'label-factory', name: 'factory' }],
  });
}

/** The captured issue.create payload, as a vague ready issue: Todo, labelled, as current deliveries carry it. */
function issueCreated(): string {
  const payload = fixtureJson('linear/issue.create.korosuke613.json') as { data: Record<string, unknown> };
  const update = fixtureJson('linear/issue.update.cycle-and-state.korosuke613.json') as {
    data: { state: unknown; stateId: string };
  };
  return JSON.stringify({
    ...payload,
    data: {
      ...payload.data,
      title: 'Fix it',
      description: 'It is broken.',
      updatedAt: '2026-01-01T11:59:00.000Z',
      identifier: 'KOR-11',
      state: update.data.state,
      stateId: update.data.stateId,
      labelIds: ['label-factory'],
      labels: [{ id: 'label-factory', name: 'factory', color: '#5e6ad2' }],
    },
    organizationId: 'org-1',
    webhookId: 'webhook-1',
    webhookTimestamp: bench.clock.now(),
  });
}

/** bolt-python's thread reply, moved into the factory's thread. */
function slackReply(threadTs: string): string {
  const payload = fixtureJson('slack/event_callback.message.thread_reply.channel.json') as Record<
    string,
    unknown
  > & { event: Record<string, unknown> };
  return JSON.stringify({
    ...payload,
    event_id: 'Ev0E2E0001',
    event: {
      ...payload.event,
      channel: 'C0FACTORY',
      thread_ts: threadTs,
      ts: '1767225700.000200',
      event_ts: '1767225700.000200',
      text: 'The export command should print JSON when --json is passed. Done when the JSON matches the table rows.',
    },
  });
}

async function json(response: Response) {
  return (await response.json()) as Record<string, unknown>;
}

function scenario(github: 'token' | 'app') {
  describe('a Linear issue, through Slack and a coding agent, to a GitHub pull request', () => {
    let threadTs = '';

    it('1. a vague issue is created in Linear: the factory asks in a Slack thread and links it on the issue', async () => {
      const body = issueCreated();
      const response = await bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
      expect(response.status).toBe(200);
      expect(await json(response)).toMatchObject({
        status: 'processed',
        results: [{ event: 'work-item.changed', workItemId: ISSUE_ID }],
      });
      expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.status).toBe('waiting-clarification');

      const [question] = bench.slack.posts();
      expect(question?.channel).toBe('C0FACTORY');
      expect(question?.text).toContain('KOR-11');
      threadTs = question!.ts;
      const comments = [...bench.linear.comments.values()];
      expect(comments).toHaveLength(1);
      expect(comments[0]?.body).toContain(
        `https://acme.slack.com/archives/C0FACTORY/p${threadTs.replace('.', '')}`,
      );
      expect(bench.fleet.spawnCalls).toBe(0);
    });

    it('2. a person answers in the thread: triage is satisfied, an agent is spawned and the issue moves to In Progress', async () => {
      bench.clock.advance(60_000);
      const body = slackReply(threadTs);
      const response = await bench.post(`/t/${TENANT}/webhooks/slack`, body, bench.slackHeaders(body));
      expect(response.status).toBe(200);
      expect(await json(response)).toMatchObject({
        status: 'processed',
        results: [{ event: 'clarification.replied' }],
      });

      const record = await bench.store.getRecord(TENANT, ISSUE_ID);
      expect(record?.status).toBe('dispatched');
      const [agentId] = bench.fleet.agentsFor(ISSUE_ID);
      const agent = bench.fleet.agents.get(agentId!);
      expect(agent?.request.task).toContain('print JSON when --json is passed');
      expect(agent?.request.branch).toBe('factory/kor-11');
      expect(bench.linear.stateOf(ISSUE_ID)?.name).toBe('In Progress');
    });

    it('3. Slack retries the same event (X-Slack-Retry-Num: 1): answered 200 duplicate, nothing changes', async () => {
      const before = await bench.snapshot();
      const body = slackReply(threadTs);
      const response = await bench.post(`/t/${TENANT}/webhooks/slack`, body, {
        ...bench.slackHeaders(body),
        'x-slack-retry-num': '1',
        'x-slack-retry-reason': 'http_timeout',
      });
      expect(response.status).toBe(200);
      expect(await json(response)).toEqual({ status: 'duplicate', deliveryId: 'Ev0E2E0001' });
      expect(await bench.snapshot()).toEqual(before);
      expect(bench.fleet.spawnCalls).toBe(1);
    });

    it('4. the pull request leaves draft: the Linear issue is set Done with a comment linking the PR', async () => {
      bench.clock.advance(3_600_000);
      const example = pullRequestExample('ready_for_review');
      Object.assign(example.pull_request, {
        title: 'KOR-11: print JSON with --json',
        head: { ...(example.pull_request.head as object), ref: 'factory/kor-11' },
      });
      const body = JSON.stringify(example);
      const response = await bench.post(`/t/${TENANT}/webhooks/github`, body, bench.githubHeaders(body));
      expect(response.status).toBe(200);
      expect(await json(response)).toMatchObject({
        status: 'processed',
        results: [{ event: 'output.changed', workItemId: ISSUE_ID }],
      });

      expect(bench.linear.updates).toEqual([
        { issueId: ISSUE_ID, stateId: 'kor-in-progress' },
        { issueId: ISSUE_ID, stateId: 'kor-done' },
      ]);
      const last = [...bench.linear.comments.values()].at(-1);
      expect(last?.body).toBe(
        `Done: https://github.com/Codertocat/Hello-World/pull/2 is ready for review.\n\n<!-- factory-trace-id: ${traceIdFor(TENANT, ISSUE_ID, 1)} -->`,
      );
      // Every comment on the issue carries the run's trace id, hidden in an HTML comment.
      for (const comment of bench.linear.comments.values())
        expect(traceIdIn(comment.body)).toBe(traceIdFor(TENANT, ISSUE_ID, 1));
      // Ready for review completes the item; nothing ever asked GitHub to merge.
      expect(bench.github.requests.filter((request) => /\/merge\b/.test(request))).toEqual([]);
      expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.status).toBe('done');
      const [agentId] = bench.fleet.agentsFor(ISSUE_ID);
      expect(bench.fleet.agents.get(agentId!)?.released).toBe(true);
      expect(await slotsIn(bench.store, TENANT, 'tenant')).toEqual([]);
    });

    it('the GitHub connection is checked the way the tenant authenticates', async () => {
      const status = await bench.factory.ports.outputs.checkConnection();
      if (github === 'token') expect(status).toMatchObject({ state: 'connected', identity: 'factory-bot' });
      else {
        expect(status).toMatchObject({
          state: 'connected',
          identity: 'GitHub App installation (2 repositories)',
        });
        expect(bench.appIssuer?.refusedJwts).toEqual([]);
        expect(bench.appIssuer?.exchanges).toEqual([GITHUB_APP.installationId]);
      }
    });

    it('and no token ever reached a log line', () => {
      const logged = JSON.stringify(bench.logger.lines);
      for (const token of Object.values(TOKENS)) expect(logged).not.toContain(token);
      for (const token of bench.appIssuer?.issued.keys() ?? []) expect(logged).not.toContain(token);
      if (bench.appKey) expect(logged).not.toContain(bench.appKey.privateKey.split('\n')[1]);
    });
  });
}

describe('a GitHub App installation revoked while the factory runs', () => {
  beforeAll(async () => {
    bench = await new DirectBench({ github: 'app' }).start();
    seedLinear();
  });
  afterAll(() => bench.stop());

  it('shows GitHub as needs-auth, refuses deliveries with 503 so the sender retries, and handles the retry once the App is installed again: nothing lost', async () => {
    bench.appIssuer?.revoke(GITHUB_APP.installationId);

    expect(await bench.factory.ports.outputs.checkConnection()).toMatchObject({ state: 'needs-auth' });
    const body = issueCreated();
    const refused = await bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      error: expect.stringMatching(/not processing work/),
      unconnected: [expect.objectContaining({ provider: 'github', role: 'output', state: 'needs-auth' })],
    });
    expect(await bench.store.getRecord(TENANT, ISSUE_ID)).toBeUndefined();
    expect(bench.slack.posts()).toEqual([]);

    // Installed again; Linear retries a minute later (the connection is checked at most once a minute).
    bench.appIssuer?.revoked.delete(GITHUB_APP.installationId);
    bench.clock.advance(60_000);
    const retry = issueCreated();
    const retried = await bench.post(`/t/${TENANT}/webhooks/linear`, retry, bench.linearHeaders(retry));

    expect(retried.status).toBe(200);
    expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.status).toBe('waiting-clarification');
    expect(bench.slack.posts()).toHaveLength(1);
  });
});
