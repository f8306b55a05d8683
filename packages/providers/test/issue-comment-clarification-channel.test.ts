import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { textToAdf } from '../src/atlassian-document.ts';
import {
  commentThreadId,
  IssueCommentClarificationChannel,
  workItemIdOfThread,
} from '../src/issue-comment-clarification-channel.ts';
import { JiraWorkItemProvider } from '../src/jira-work-item-provider.ts';
import { LinearCommentReplies } from '../src/linear-comment-replies.ts';
import { LinearWebhookSource } from '../src/linear-webhook-source.ts';
import { LinearWorkItemProvider } from '../src/linear-work-item-provider.ts';
import { fixtureJson, linearSignature } from './support/fixtures.ts';
import { JiraServer } from './support/jira-server.ts';
import { LinearServer } from './support/linear-server.ts';
import { incoming } from './support/webhooks.ts';

let jira: JiraServer;
let linear: LinearServer;
beforeAll(async () => {
  [jira, linear] = await Promise.all([new JiraServer().start(), new LinearServer().start()]);
});
afterAll(() => Promise.all([jira.stop(), linear.stop()]));
beforeEach(() => {
  jira.issues.clear();
  jira.comments.length = 0;
  jira.addIssue({
    id: '10040',
    key: 'TES-41',
    summary: 'Fix it',
    description: textToAdf('It is broken.'),
    labels: ['factory'],
    statusId: '10001',
    projectId: '10000',
    projectKey: 'TES',
    issueTypeId: '10001',
    updated: '2026-01-01T11:00:00.000+0000',
  });
});

function channel() {
  const workItems = new JiraWorkItemProvider({
    siteUrl: 'https://acme.atlassian.net',
    apiUrl: jira.url,
    email: 'factory@acme.test',
    token: 'jira-api-token-test',
    retry: { sleep: async () => {} },
  });
  return { workItems, channel: new IssueCommentClarificationChannel({ workItems }) };
}

describe('asking on the work item itself', () => {
  it('asks as a comment through the intake, once per idempotency key; the thread is comments:<item id>', async () => {
    const { workItems, channel: comments } = channel();
    const item = (await workItems.getWorkItem('TES-41'))!;
    const options = { idempotencyKey: 'acme/10040/r1/e1' };
    const opened = await comments.openThread(item, 'What should change?', options);
    await comments.openThread(item, 'What should change?', options);
    expect(opened).toEqual({ threadId: 'comments:10040' });
    expect(jira.commentsOn('TES-41')).toHaveLength(1);
    expect(JSON.stringify(jira.commentsOn('TES-41')[0]?.body)).toContain('What should change?');
  });

  it('replies by reading the item back from the thread id and commenting on it', async () => {
    const { channel: comments } = channel();
    await comments.reply('comments:10040', 'Thanks, that is enough to start.', {
      idempotencyKey: 'acme/10040/r1/e2',
    });
    expect(JSON.stringify(jira.commentsOn('TES-41')[0]?.body)).toContain('Thanks, that is enough to start.');
    await expect(comments.reply('comments:99999', 'x', { idempotencyKey: 'k' })).rejects.toThrow(
      'jira has no work item 99999',
    );
    await expect(comments.reply('C0123:1.2', 'x', { idempotencyKey: 'k' })).rejects.toThrow(
      'not a comment thread id',
    );
  });

  it('needs no token or scope of its own, and reports connected', async () => {
    const { channel: comments } = channel();
    expect(comments.requiredScopes).toEqual([]);
    expect(await comments.checkConnection()).toEqual({
      state: 'connected',
      identity: 'comments on jira work items',
    });
  });

  it('round-trips thread ids, and refuses a bad config', () => {
    expect(workItemIdOfThread(commentThreadId('acme/web#12'))).toBe('acme/web#12');
    expect(() => workItemIdOfThread('comments:')).toThrow('not a comment thread id');
    expect(
      () => new IssueCommentClarificationChannel({ workItems: channel().workItems, channel: 'C1' } as never),
    ).toThrow('invalid comments clarification channel config');
  });
});

describe('Linear Comment webhooks as answers', () => {
  const SECRET = 'lin-secret';
  const provider = () => new LinearWorkItemProvider({ apiUrl: linear.url, token: 'lin_oauth_test_token' });
  const delivery = (payload: unknown) => {
    const body = JSON.stringify(payload);
    return incoming(
      body,
      { 'linear-signature': linearSignature(SECRET, body), 'linear-delivery': 'ld-1' },
      Date.now(),
    );
  };

  it('a person’s comment (Linear’s docs example) → clarification.replied in comments:<issue id>', async () => {
    const workItems = provider();
    const source = new LinearWebhookSource({
      secret: SECRET,
      provider: workItems,
      commentReplies: new LinearCommentReplies({ client: workItems.client }),
    });
    const result = await source.interpret(delivery(fixtureJson('linear/comment.create.docs-example.json')));
    expect(result.events).toEqual([
      {
        type: 'clarification.replied',
        threadId: 'comments:539068e2-ae88-4d09-bd75-22eb4a59612f',
        messageId: '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9',
        text: 'Indeed, I think this is definitely an improvement over the previous version.',
        author: 'aacdca22-6266-4c0a-ab3c-8fa70a26765c',
      },
    ]);
  });

  it('the factory’s own comment (by the viewer) is not an answer; without comments, Comment webhooks stay ignored', async () => {
    const workItems = provider();
    const ours = fixtureJson('linear/comment.create.korosuke613.json') as { data: Record<string, unknown> };
    ours.data.userId = 'user-1';
    const withReplies = new LinearWebhookSource({
      secret: SECRET,
      provider: workItems,
      commentReplies: new LinearCommentReplies({ client: workItems.client }),
    });
    expect((await withReplies.interpret(delivery(ours))).ignored).toBe('the factory wrote this comment');
    const without = new LinearWebhookSource({ secret: SECRET, provider: workItems });
    expect((await without.interpret(delivery(ours))).ignored).toBe(
      'Linear Comment webhooks do not change work items',
    );
  });
});
