import { traceIdFor } from '@software-factory/sdk';
import { slotsIn } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textToAdf } from '../src/jira/atlassian-document.ts';
import { JIRA_TRACE_PROPERTY } from '../src/jira/work-item-provider.ts';
import { fixtureJson } from './support/fixtures.ts';
import { JIRA_BOT_ACCOUNT } from './support/jira-server.ts';
import { JIRA_TENANT, MixedBench, TOKENS } from './support/mixed-bench.ts';

const ISSUE_ID = '10040';
let bench: MixedBench;

beforeAll(async () => {
  bench = await new MixedBench().start();
  // Jira's side: the issue of the captured webhook, as the REST API has it.
  bench.jira.addIssue({
    id: ISSUE_ID,
    key: 'TES-41',
    summary: 'Unit test summary',
    description: textToAdf('Unit test description, not that long'),
    labels: ['factory'],
    statusId: '10001',
    projectId: '10000',
    projectKey: 'TES',
    issueTypeId: '10001',
    updated: '2019-02-15T19:01:52.971-0800',
  });
});
afterAll(() => bench.stop());

/** The captured jira:issue_created, labelled for the factory: short and vague. */
function issueCreated(): string {
  const payload = fixtureJson('jira/webhook-issue-created.mattermost.json') as {
    issue: { fields: Record<string, unknown> };
  };
  payload.issue.fields.labels = ['factory'];
  return JSON.stringify(payload);
}

/** The captured comment_created, as a person's answer (or, with `author`, someone else's comment). */
function commentCreated(id: string, text: string, author = '5c5f880629be9642ba529340'): string {
  const payload = fixtureJson('jira/webhook-cloud-comment-created.mattermost.json') as {
    comment: { id: string; body: string; author: { accountId: string } };
  };
  payload.comment.id = id;
  payload.comment.body = text;
  payload.comment.author.accountId = author;
  return JSON.stringify(payload);
}

/** go-gitlab's merge request payload, moved onto the agent's branch. */
function mergeRequestHook(action: string, draft: boolean): string {
  const payload = fixtureJson('gitlab/merge_request.go-gitlab.json') as {
    project: Record<string, unknown>;
    object_attributes: Record<string, unknown>;
  };
  payload.project.path_with_namespace = 'acme/app';
  Object.assign(payload.object_attributes, {
    iid: 7,
    action,
    draft,
    work_in_progress: draft,
    title: draft ? 'Draft: TES-41: export as JSON' : 'TES-41: export as JSON',
    source_branch: 'factory/tes-41',
    url: 'https://gitlab.example/acme/app/-/merge_requests/7',
    updated_at: draft ? '2026-01-01 12:30:00 UTC' : '2026-01-01 13:00:00 UTC',
  });
  return JSON.stringify(payload);
}

async function json(response: Response) {
  return (await response.json()) as Record<string, unknown>;
}

const jiraPath = `/t/${JIRA_TENANT}/webhooks/jira`;
const gitlabPath = `/t/${JIRA_TENANT}/webhooks/gitlab`;

describe('a Jira issue, clarified in its own comments, to a GitLab merge request', () => {
  it('1. a vague issue is created in Jira: the factory asks in a comment on the issue', async () => {
    const body = issueCreated();
    const response = await bench.post(jiraPath, body, bench.jiraHeaders(body));
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      status: 'processed',
      results: [{ event: 'work-item.changed', workItemId: ISSUE_ID }],
    });
    expect((await bench.store.getRecord(JIRA_TENANT, ISSUE_ID))?.status).toBe('waiting-clarification');
    const comments = bench.jira.commentsOn('TES-41');
    expect(comments).toHaveLength(1);
    expect(JSON.stringify(comments[0]?.body)).toContain('is short on detail');
    expect(comments.every((comment) => comment.authorAccountId === JIRA_BOT_ACCOUNT)).toBe(true);
    expect(bench.fleet.spawnCalls).toBe(0);
  });

  it('2. Jira echoes the factory’s own question as comment_created: not an answer', async () => {
    const body = commentCreated('10201', 'Question from the factory…', JIRA_BOT_ACCOUNT);
    const response = await bench.post(jiraPath, body, bench.jiraHeaders(body));
    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({ status: 'ignored', reason: 'the factory wrote this comment' });
    expect((await bench.store.getRecord(JIRA_TENANT, ISSUE_ID))?.status).toBe('waiting-clarification');
  });

  it('3. a person answers in a comment: an agent is spawned and the issue is transitioned to In Progress', async () => {
    bench.clock.advance(60_000);
    const body = commentCreated(
      '10202',
      'The export command should print JSON when --json is passed. Done when the JSON matches the table rows.',
    );
    const response = await bench.post(jiraPath, body, bench.jiraHeaders(body, 'delivery-answer'));
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      status: 'processed',
      results: [{ event: 'clarification.replied' }],
    });

    expect((await bench.store.getRecord(JIRA_TENANT, ISSUE_ID))?.status).toBe('dispatched');
    const [agentId] = bench.fleet.agentsFor(ISSUE_ID);
    const agent = bench.fleet.agents.get(agentId!);
    expect(agent?.request.task).toContain('print JSON when --json is passed');
    expect(agent?.request.branch).toBe('factory/tes-41');
    expect(bench.jira.statusOf('TES-41')?.name).toBe('In Progress');
  });

  it('4. Jira retries the same delivery (same X-Atlassian-Webhook-Identifier): answered duplicate, nothing changes', async () => {
    const before = await bench.snapshot();
    const body = commentCreated(
      '10202',
      'The export command should print JSON when --json is passed. Done when the JSON matches the table rows.',
    );
    const response = await bench.post(jiraPath, body, {
      ...bench.jiraHeaders(body, 'delivery-answer'),
      'x-atlassian-webhook-retry': '1',
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: 'duplicate', deliveryId: 'delivery-answer' });
    expect(await bench.snapshot()).toEqual(before);
    expect(bench.fleet.spawnCalls).toBe(1);
  });

  it('5. the merge request opens as a draft: the item keeps waiting', async () => {
    bench.clock.advance(1_800_000);
    const body = mergeRequestHook('open', true);
    const response = await bench.post(gitlabPath, body, bench.gitlabHeaders());
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      results: [{ event: 'output.changed', workItemId: ISSUE_ID }],
    });
    expect((await bench.store.getRecord(JIRA_TENANT, ISSUE_ID))?.status).toBe('dispatched');
  });

  it('6. the merge request leaves draft: the Jira issue is transitioned to Done with a comment linking it', async () => {
    bench.clock.advance(1_800_000);
    const body = mergeRequestHook('update', false);
    const response = await bench.post(gitlabPath, body, bench.gitlabHeaders());
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      status: 'processed',
      results: [{ event: 'output.changed', workItemId: ISSUE_ID }],
    });
    expect((await bench.store.getRecord(JIRA_TENANT, ISSUE_ID))?.status).toBe('done');
    expect(bench.jira.statusOf('TES-41')?.name).toBe('Done');
    expect(bench.jira.transitionsPosted).toEqual([
      { key: 'TES-41', id: '21' },
      { key: 'TES-41', id: '31' },
    ]);
    const last = bench.jira.commentsOn('TES-41').at(-1);
    expect(last?.body).toMatchObject({
      content: [
        {
          content: [
            { text: 'Done: ' },
            { text: 'https://gitlab.example/acme/app/-/merge_requests/7' },
            { text: ' is ready for review.' },
          ],
        },
      ],
    });
    const [agentId] = bench.fleet.agentsFor(ISSUE_ID);
    expect(bench.fleet.agents.get(agentId!)?.released).toBe(true);
    expect(await slotsIn(bench.store, JIRA_TENANT, 'tenant')).toEqual([]);
  });

  it('every comment the factory wrote is there once (idempotency properties are distinct)', () => {
    const keys = bench.jira.commentsOn('TES-41').map((comment) => JSON.stringify(comment.properties));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('every comment carries the run’s trace id in an entity property, never in the text people read', () => {
    const traceId = traceIdFor(JIRA_TENANT, ISSUE_ID, 1);
    const comments = bench.jira
      .commentsOn('TES-41')
      .filter((comment) => comment.authorAccountId === JIRA_BOT_ACCOUNT);
    expect(comments.length).toBeGreaterThanOrEqual(3);
    for (const comment of comments) {
      expect(comment.properties).toContainEqual({ key: JIRA_TRACE_PROPERTY, value: { traceId } });
      expect(JSON.stringify(comment.body)).not.toContain(traceId);
    }
  });

  it('the factory never asked GitLab to merge: ready for review completed the item', () => {
    expect(bench.gitlab.requests.filter((request) => /\/merge(?:$|\?|\/)/.test(request))).toEqual([]);
    expect(bench.gitlab.requests.every((request) => request.startsWith('GET '))).toBe(true);
  });

  it('and no token or secret ever reached a log line', () => {
    const logged = JSON.stringify(bench.logger.lines);
    for (const token of Object.values(TOKENS)) expect(logged).not.toContain(token);
  });
});
