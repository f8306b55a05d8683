import { WebhookError } from '@software-factory/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JiraWebhookSource } from '../src/jira-webhook-source.ts';
import { JiraWorkItemProvider } from '../src/jira-work-item-provider.ts';
import { fixtureJson, fixtureText, jiraSignature } from './support/fixtures.ts';
import { JIRA_BOT_ACCOUNT, JiraServer } from './support/jira-server.ts';
import { flipOneByte, incoming } from './support/webhooks.ts';

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

  it('fails when one byte of the body changes', async () => {
    const signed = jiraSignature(SECRET, body);
    const error = await rejection(
      source().verify(incoming(flipOneByte(body), { 'x-hub-signature': signed }, NOW)),
    );
    expect(error.status).toBe(401);
    expect(error.message).toContain('does not match');
  });

  it('fails without the header, with another scheme, or with another secret', async () => {
    expect((await rejection(source().verify(incoming(body, {}, NOW)))).message).toContain(
      'missing X-Hub-Signature',
    );
    const sha1 = await rejection(source().verify(incoming(body, { 'x-hub-signature': 'sha1=abc' }, NOW)));
    expect(sha1.message).toContain('sha256=');
    const other = await rejection(
      source().verify(incoming(body, { 'x-hub-signature': jiraSignature('another secret', body) }, NOW)),
    );
    expect(other.status).toBe(401);
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
    expect((await rejection(source().interpret(delivery('{"webhookEvent":')))).message).toContain(
      'malformed JSON',
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
        author: 'Test User',
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
