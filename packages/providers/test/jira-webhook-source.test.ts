import { WebhookError } from '@software-factory/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JiraWebhookSource } from '../src/jira/webhook-source.ts';
import { JiraWorkItemProvider } from '../src/jira/work-item-provider.ts';
import { fixtureJson, fixtureText, jiraSignature } from './support/fixtures.ts';
import { JIRA_BOT_ACCOUNT, JIRA_CAPTURED_AUTHOR, JiraServer } from './support/jira-server.ts';
import { incoming } from './support/webhooks.ts';

const SECRET = 'jira-webhook-secret';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
let server: JiraServer;
let provider: JiraWorkItemProvider;

beforeAll(async () => {
  server = await new JiraServer().start();
  provider = new JiraWorkItemProvider({
    siteUrl: 'https://some-instance-test.atlassian.net',
    apiUrl: server.url,
    email: 'factory@acme.test',
    token: 'jira-api-token-test',
    requiredLabels: ['test-label'],
    retry: { sleep: async () => {} },
  });
});
afterAll(() => server.stop());

function delivery(body: string, headers: Record<string, string> = {}) {
  return incoming(
    body,
    {
      'x-hub-signature': jiraSignature(SECRET, body),
      'x-atlassian-webhook-identifier': 'jira-delivery-1',
      ...headers,
    },
    NOW,
  );
}

async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

const source = (commentReplies = false) =>
  new JiraWebhookSource({ secret: SECRET, provider, commentReplies });

describe('X-Hub-Signature (Jira secure admin webhooks)', () => {
  const body = fixtureText('jira/webhook-issue-created.mattermost.json');

  it('accepts sha256=<hex HMAC-SHA256 of the raw body> with the webhook secret', async () => {
    await expect(source().verify(delivery(body))).resolves.toBeUndefined();
  });

  // Another secret, no signature, another body: the WebhookSource conformance suite (conformance/jira.test.ts).
  it('fails with another scheme than sha256=', async () => {
    const sha1 = await rejection(source().verify(incoming(body, { 'x-hub-signature': 'sha1=abc' }, NOW)));
    expect(sha1.message).toContain('sha256=');
  });

  it('refuses to be built without a secret', () => {
    expect(() => new JiraWebhookSource({ secret: '', provider })).toThrow(
      'secret: a webhook secret is required',
    );
  });
});

describe('issue webhooks', () => {
  it('jira:issue_created (real Jira Cloud capture) → work-item.changed, normalised', async () => {
    const result = await source().interpret(
      delivery(fixtureText('jira/webhook-issue-created.mattermost.json')),
    );
    expect(result.deliveryId).toBe('jira-delivery-1');
    expect(result.events).toEqual([
      {
        type: 'work-item.changed',
        item: {
          id: '10040',
          key: 'TES-41',
          title: 'Unit test summary',
          description: 'Unit test description, not that long',
          state: 'todo',
          labels: ['test-label'],
          project: 'TES',
          // 2019-02-15T19:01:52.971-0800, in UTC.
          updatedAt: '2019-02-16T03:01:52.971Z',
          source: {
            provider: 'jira',
            externalId: '10040',
            url: 'https://some-instance-test.atlassian.net/browse/TES-41',
          },
          metadata: {
            jiraStatusId: '10001',
            jiraStatusName: 'To Do',
            jiraStatusCategory: 'new',
            jiraProjectId: '10000',
            jiraIssueTypeId: '10001',
          },
        },
      },
    ]);
    const [event] = result.events;
    expect(event?.type === 'work-item.changed' && provider.isReadyForDispatch(event.item)).toBe(true);
  });

  it('jira:issue_updated with an ADF description and an in-progress status (derived from the capture)', async () => {
    const payload = fixtureJson('jira/webhook-issue-created.mattermost.json') as {
      webhookEvent: string;
      issue: { fields: Record<string, unknown> };
    };
    payload.webhookEvent = 'jira:issue_updated';
    Object.assign(payload.issue.fields, {
      description: {
        type: 'doc',
        version: 1,
        content: [
          { type: 'paragraph', content: [{ type: 'text', text: 'Export as JSON.' }] },
          {
            type: 'bulletList',
            content: [
              {
                type: 'listItem',
                content: [{ type: 'paragraph', content: [{ type: 'text', text: 'one row per line' }] }],
              },
            ],
          },
        ],
      },
      status: { id: '3', name: 'In Review', statusCategory: { key: 'indeterminate' } },
      updated: '2019-02-15T19:05:00.000-0800',
    });
    const [event] = (await source().interpret(delivery(JSON.stringify(payload)))).events;
    expect(event).toMatchObject({
      item: {
        description: 'Export as JSON.\n\n- one row per line',
        state: 'in-review',
        updatedAt: '2019-02-16T03:05:00.000Z',
      },
    });
    expect(event?.type === 'work-item.changed' && provider.isReadyForDispatch(event.item)).toBe(false);
  });

  it('ignores other events with a reason', async () => {
    const body = JSON.stringify({ timestamp: NOW, webhookEvent: 'worklog_created', worklog: {} });
    expect(await source().interpret(delivery(body))).toEqual({
      deliveryId: 'jira-delivery-1',
      events: [],
      ignored: 'Jira worklog_created webhooks do not change work items',
    });
  });

  it('rejects an issue payload without the issue as malformed, and a body that is not a Jira webhook', async () => {
    const missing = await rejection(source().interpret(delivery('{"webhookEvent":"jira:issue_created"}')));
    expect(missing.status).toBe(400);
    expect(missing.message).toContain('jira:issue_created payload is incomplete');
    expect((await rejection(source().interpret(delivery('[1,2]')))).message).toContain(
      'not a Jira webhook payload',
    );
  });
});

describe('comment_created as an answer', () => {
  const body = fixtureText('jira/webhook-cloud-comment-created.mattermost.json');

  it('is ignored unless comments are the clarification channel', async () => {
    expect((await source(false).interpret(delivery(body))).ignored).toBe(
      'Jira comment_created webhooks are not answers: the clarification channel is not comments',
    );
  });

  it('a person’s comment (real capture) → clarification.replied in the thread of its issue', async () => {
    expect((await source(true).interpret(delivery(body))).events).toEqual([
      {
        type: 'clarification.replied',
        threadId: 'comments:10040',
        messageId: '10019',
        text: 'Added a comment with mentioned user [~user]',
        author: {
          id: '5c5f880629be9642ba529340',
          name: 'Test User',
          trusted: true,
          reason: 'a member of the site (accountType atlassian)',
        },
      },
    ]);
  });

  it('the factory’s own comment (its account, from GET /myself) is not an answer', async () => {
    const payload = fixtureJson('jira/webhook-cloud-comment-created.mattermost.json') as {
      comment: { author: { accountId: string } };
    };
    payload.comment.author.accountId = JIRA_BOT_ACCOUNT;
    expect((await source(true).interpret(delivery(JSON.stringify(payload)))).ignored).toBe(
      'the factory wrote this comment',
    );
    expect(server.requests.filter((request) => request.startsWith('GET /rest/api/3/myself'))).toHaveLength(1);
  });
});

describe('who may answer: the reporter, the assignee, members of the site (accountType atlassian)', () => {
  const CUSTOMER = 'qm:customer-1';
  /** The captured comment_created, by `author` (fields the 2019 capture lacks are added here and said so). */
  function commentBy(author: Record<string, unknown>, issueFields: Record<string, unknown> = {}) {
    const payload = fixtureJson('jira/webhook-cloud-comment-created.mattermost.json') as {
      comment: { author: Record<string, unknown> };
      issue: { fields: Record<string, unknown> };
    };
    Object.assign(payload.comment.author, author);
    Object.assign(payload.issue.fields, issueFields);
    return delivery(JSON.stringify(payload));
  }
  const authorOf = async (webhooks: JiraWebhookSource, request: ReturnType<typeof delivery>) =>
    ((await webhooks.interpret(request)).events[0] as { author?: unknown } | undefined)?.author;
  const requestsTo = (path: string) => server.requests.filter((request) => request.includes(path)).length;

  it('a customer named in no role of the issue is not trusted; the payload’s accountType saves the user lookup', async () => {
    server.requests.length = 0;
    const request = commentBy(
      { accountId: CUSTOMER, accountType: 'customer', displayName: 'Customer' },
      { reporter: { accountId: JIRA_CAPTURED_AUTHOR }, assignee: null },
    );
    expect(await authorOf(source(true), request)).toEqual({
      id: CUSTOMER,
      name: 'Customer',
      trusted: false,
      reason:
        'accountType customer, not atlassian; not the reporter or assignee of the issue; not in trustedAuthors.users',
    });
    expect(requestsTo('/rest/api/3/user')).toBe(0);
    expect(requestsTo('/rest/api/3/issue/')).toBe(0);
  });

  it('the reporter or the assignee is trusted even as a customer (asked from the issue when the payload lacks them)', async () => {
    server.addIssue({
      id: '10040',
      key: 'TES-41',
      summary: 'Unit test summary 1',
      description: null,
      labels: [],
      statusId: '10001',
      projectId: '10000',
      projectKey: 'TES',
      issueTypeId: '10001',
      updated: '2019-02-15T19:11:18.321-0800',
      reporterAccountId: CUSTOMER,
    });
    server.users.set(CUSTOMER, { accountType: 'customer', displayName: 'Customer' });
    server.requests.length = 0;
    expect(await authorOf(source(true), commentBy({ accountId: CUSTOMER }))).toMatchObject({
      trusted: true,
      reason: 'the reporter of the issue',
    });
    expect(server.requests).toEqual([
      `GET /rest/api/3/user?accountId=${encodeURIComponent(CUSTOMER)}`,
      'GET /rest/api/3/issue/10040?fields=reporter%2Cassignee',
    ]);
    const assigned = commentBy(
      { accountId: CUSTOMER, accountType: 'customer' },
      { reporter: null, assignee: { accountId: CUSTOMER } },
    );
    expect(await authorOf(source(true), assigned)).toMatchObject({
      trusted: true,
      reason: 'the assignee of the issue',
    });
  });

  it('an app user or an account Jira does not show is not a member', async () => {
    const app = commentBy({ accountId: 'app-1', accountType: 'app' }, { reporter: null, assignee: null });
    expect(await authorOf(source(true), app)).toMatchObject({ trusted: false });
    const unknown = commentBy({ accountId: 'gone-1' }, { reporter: null, assignee: null });
    expect(await authorOf(source(true), unknown)).toMatchObject({
      trusted: false,
      reason:
        'accountType unknown, not atlassian; not the reporter or assignee of the issue; not in trustedAuthors.users',
    });
  });

  it('trustedAuthors narrows the roles and lists account ids', async () => {
    const configured = new JiraWebhookSource({
      secret: SECRET,
      provider,
      commentReplies: true,
      trustedAuthors: { roles: ['assignee'], users: [CUSTOMER] },
    });
    const member = commentBy(
      { accountId: JIRA_CAPTURED_AUTHOR, accountType: 'atlassian' },
      { reporter: null, assignee: null },
    );
    expect(await authorOf(configured, member)).toMatchObject({
      trusted: false,
      reason: 'not the assignee of the issue; not in trustedAuthors.users',
    });
    expect(await authorOf(configured, commentBy({ accountId: CUSTOMER }))).toMatchObject({
      trusted: true,
      reason: `${CUSTOMER} is listed in trustedAuthors.users`,
    });
    expect(
      () => new JiraWebhookSource({ secret: SECRET, provider, trustedAuthors: { roles: ['watcher'] } }),
    ).toThrow(
      'invalid Jira webhook config: trustedAuthors.roles.0: expected one of reporter, assignee, member',
    );
  });
});
