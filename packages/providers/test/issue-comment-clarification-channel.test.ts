import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  commentThreadId,
  IssueCommentClarificationChannel,
  workItemIdOfThread,
} from '../src/comments/clarification-channel.ts';
import { textToAdf } from '../src/jira/atlassian-document.ts';
import { JiraWorkItemProvider } from '../src/jira/work-item-provider.ts';
import { LinearCommentReplies } from '../src/linear/comment-replies.ts';
import { LinearWebhookSource } from '../src/linear/webhook-source.ts';
import { LinearWorkItemProvider } from '../src/linear/work-item-provider.ts';
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
  // Once per idempotency key, no credential or scope of its own: the ClarificationChannel conformance
  // suite, over each intake (conformance/comments.test.ts).
  it('asks as a comment through the intake; the thread is comments:<item id>', async () => {
    const { workItems, channel: comments } = channel();
    const item = (await workItems.getWorkItem('TES-41'))!;
    const opened = await comments.openThread(item, 'What should change?', {
      idempotencyKey: 'acme/10040/r1/e1',
    });
    expect(opened).toEqual({ threadId: 'comments:10040' });
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
  // The docs example's issue and author, as Linear's API has them: the author is a member of the workspace.
  const ISSUE = '539068e2-ae88-4d09-bd75-22eb4a59612f';
  const AUTHOR = 'aacdca22-6266-4c0a-ab3c-8fa70a26765c';
  beforeEach(() => {
    linear.users.set(AUTHOR, {
      id: AUTHOR,
      name: 'Ana',
      email: 'ana@acme.test',
      active: true,
      guest: false,
      app: false,
    });
    linear.addTeam({ id: 'team-1', key: 'LIN', name: 'Lin', states: [] });
    linear.addIssue({
      id: ISSUE,
      identifier: 'LIN-1778',
      number: 1778,
      title: 'Foo bar',
      url: 'https://linear.app/issue/LIN-1778/foo-bar',
      updatedAt: '2020-01-23T12:00:00.000Z',
      priority: 0,
      stateId: 'none',
      teamId: 'team-1',
      labels: [],
    });
  });
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
        author: {
          id: 'aacdca22-6266-4c0a-ab3c-8fa70a26765c',
          trusted: true,
          reason: 'a member of the workspace',
        },
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

describe('who may answer on Linear: the issue’s creator or assignee, members of the workspace', () => {
  const ISSUE = '539068e2-ae88-4d09-bd75-22eb4a59612f';
  const GUEST = '0d9a1f52-7a4e-4c53-9b8e-1f2a3b4c5d6e';
  const APP = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
  const MEMBER = 'aacdca22-6266-4c0a-ab3c-8fa70a26765c';
  const user = (id: string, standing: { guest?: boolean; app?: boolean; active?: boolean }) => ({
    id,
    name: id.slice(0, 4),
    email: `${id}@acme.test`,
    active: standing.active ?? true,
    guest: standing.guest ?? false,
    app: standing.app ?? false,
  });
  beforeEach(() => {
    linear.users.set(GUEST, user(GUEST, { guest: true }));
    linear.users.set(APP, user(APP, { app: true }));
    linear.users.set(MEMBER, user(MEMBER, {}));
    linear.addTeam({ id: 'team-1', key: 'LIN', name: 'Lin', states: [] });
    linear.addIssue({
      id: ISSUE,
      identifier: 'LIN-1778',
      number: 1778,
      title: 'Foo bar',
      url: 'https://linear.app/issue/LIN-1778/foo-bar',
      updatedAt: '2020-01-23T12:00:00.000Z',
      priority: 0,
      stateId: 'none',
      teamId: 'team-1',
      labels: [],
    });
  });

  /** Linear's docs example Comment, by `userId`. */
  async function authorOf(userId: string, trustedAuthors?: { roles?: string[]; users?: string[] }) {
    const payload = fixtureJson('linear/comment.create.docs-example.json') as {
      data: Record<string, unknown>;
    };
    payload.data.userId = userId;
    const replies = new LinearCommentReplies({
      client: new LinearWorkItemProvider({ apiUrl: linear.url, token: 'lin_oauth_test_token' }).client,
      botUserId: 'user-1',
      ...(trustedAuthors ? { trustedAuthors } : {}),
    });
    const result = await replies.interpret('create', payload.data);
    return (result.events[0] as { author?: unknown } | undefined)?.author;
  }

  it('a guest of the workspace who has no role on the issue is not trusted, and the reason says so', async () => {
    expect(await authorOf(GUEST)).toEqual({
      id: GUEST,
      trusted: false,
      reason:
        'a guest of the workspace; not the creator or assignee of the issue; not in trustedAuthors.users',
    });
  });

  it('the same guest is trusted as the issue’s creator or assignee', async () => {
    Object.assign(linear.issues.get(ISSUE) as object, { creatorId: GUEST });
    expect(await authorOf(GUEST)).toMatchObject({ trusted: true, reason: 'the creator of the issue' });
    Object.assign(linear.issues.get(ISSUE) as object, { creatorId: undefined, assigneeId: GUEST });
    expect(await authorOf(GUEST)).toMatchObject({ trusted: true, reason: 'the assignee of the issue' });
  });

  it('an app user is no member; a member is, unless the roles leave members out', async () => {
    expect(await authorOf(APP)).toMatchObject({
      trusted: false,
      reason: expect.stringContaining('an app user'),
    });
    expect(await authorOf(MEMBER)).toMatchObject({ trusted: true, reason: 'a member of the workspace' });
    expect(await authorOf(MEMBER, { roles: ['creator', 'assignee'] })).toMatchObject({ trusted: false });
  });

  it('a listed user id is trusted without asking Linear; a wrong id or role is refused at construction', async () => {
    const asked = linear.operations.length;
    expect(await authorOf(APP, { roles: [], users: [APP.toUpperCase()] })).toMatchObject({ trusted: true });
    expect(linear.operations.length).toBe(asked);
    const client = new LinearWorkItemProvider({ apiUrl: linear.url }).client;
    expect(() => new LinearCommentReplies({ client, trustedAuthors: { users: ['ana@acme.test'] } })).toThrow(
      'invalid Linear comment replies config: trustedAuthors.users.0: expected a Linear user id (a UUID, as the API and webhooks give it)',
    );
    expect(() => new LinearCommentReplies({ client, trustedAuthors: { roles: ['admin'] } })).toThrow(
      'trustedAuthors.roles.0: expected one of creator, assignee, member',
    );
  });
});
