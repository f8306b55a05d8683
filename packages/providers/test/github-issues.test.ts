import { DefaultTaskTemplate, traceIdFor } from '@software-factory/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GITHUB_COMMENT_MARKER } from '../src/github/issue-comments.ts';
import { GithubIssuesWebhookSource } from '../src/github-issues/webhook-source.ts';
import {
  type GithubIssuesProviderOptions,
  GithubIssuesWorkItemProvider,
} from '../src/github-issues/work-item-provider.ts';
import { traceIdIn } from '../src/shared/trace-metadata.ts';
import { coreOverTracker } from './support/core-over-tracker.ts';
import { githubExample, githubExamples, githubSignature } from './support/fixtures.ts';
import { GithubIssuesServer, type IssueJson } from './support/github-issues-server.ts';
import { recordingSleep } from './support/loopback.ts';
import { incoming } from './support/webhooks.ts';

const SECRET = 'gh-issues-secret';
const TOKEN = 'ghp_issues_test_token';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
let server: GithubIssuesServer;

beforeAll(async () => {
  server = await new GithubIssuesServer().start();
});
afterAll(() => server.stop());
beforeEach(() => {
  server.issues.clear();
  server.comments.clear();
  server.requests.length = 0;
  server.forgetWrites = 0;
  const opened = githubExample('issues', 'opened').issue as IssueJson;
  server.addIssue('Codertocat/Hello-World', { ...opened, labels: [{ name: 'factory' }] });
});

function provider(options: Partial<GithubIssuesProviderOptions> = {}) {
  const recorder = recordingSleep();
  const github = new GithubIssuesWorkItemProvider({
    baseUrl: server.url,
    token: TOKEN,
    repositories: [{ repository: 'Codertocat/Hello-World' }],
    retry: { sleep: recorder.sleep, random: () => 0.5 },
    ...options,
  });
  return Object.assign(github, { waits: recorder.waits });
}

function delivery(event: string, payload: unknown) {
  const body = JSON.stringify(payload);
  return incoming(
    body,
    {
      'x-github-event': event,
      'x-github-delivery': 'd-1',
      'x-hub-signature-256': githubSignature(SECRET, body),
    },
    NOW,
  );
}

const source = (commentReplies = false) =>
  new GithubIssuesWebhookSource({ secret: SECRET, provider: provider(), commentReplies });
const write = (key: string) => ({ idempotencyKey: `acme/Codertocat/Hello-World#1/r1/${key}` });

describe('keys the default task template can link a pull request back by', () => {
  it('is <REPOSITORY NAME>-<number> by default, or the configured prefix; the id stays owner/repo#n', async () => {
    const item = (await provider().getWorkItem('Codertocat/Hello-World#1'))!;
    expect(item).toMatchObject({ id: 'Codertocat/Hello-World#1', key: 'HELLOWORLD-1' });
    const template = new DefaultTaskTemplate();
    expect(template.findWorkItemKey({ branch: template.branchName(item) })).toBe('HELLOWORLD-1');
    const prefixed = provider({ repositories: [{ repository: 'Codertocat/Hello-World', keyPrefix: 'HW' }] });
    expect((await prefixed.getWorkItem('HW-1'))?.key).toBe('HW-1');
    expect(template.findWorkItemKey({ title: 'HW-1: fix the spelling' })).toBe('HW-1');
  });

  it('refuses two repositories with the same prefix, and a prefix the template cannot find', () => {
    expect(() => provider({ repositories: [{ repository: 'a/web' }, { repository: 'b/web' }] })).toThrow(
      'repositories: two repositories have the same key prefix',
    );
    expect(() => provider({ repositories: [{ repository: 'a/web', keyPrefix: '9x' }] })).toThrow('keyPrefix');
    expect(() => provider({ repositories: [] })).toThrow('repositories: name at least one repository');
    expect(() => provider({ repositories: [{ repository: 'no-slash' }] })).toThrow('expected owner/repo');
  });
});

describe('issues webhooks (examples from @octokit/webhooks-examples)', () => {
  it.each(['opened', 'edited', 'labeled', 'unlabeled', 'reopened'])(
    '%s → work-item.changed',
    async (action) => {
      const example = githubExample('issues', action);
      const result = await source().interpret(delivery('issues', example));
      const issue = example.issue as IssueJson;
      expect(result.deliveryId).toBe('d-1');
      expect(result.events).toEqual([
        {
          type: 'work-item.changed',
          item: expect.objectContaining({
            id: `Codertocat/Hello-World#${issue.number}`,
            key: `HELLOWORLD-${issue.number}`,
            title: issue.title,
            updatedAt: issue.updated_at,
            source: {
              provider: 'github-issues',
              externalId: `Codertocat/Hello-World#${issue.number}`,
              url: issue.html_url,
            },
          }),
        },
      ]);
    },
  );

  it('closed → done, or cancelled when closed as not planned (derived from the reopened example)', async () => {
    const example = githubExample('issues', 'reopened');
    Object.assign(example, { action: 'closed' });
    Object.assign(example.issue as object, { state: 'closed', state_reason: 'completed' });
    expect((await source().interpret(delivery('issues', example))).events[0]).toMatchObject({
      item: { state: 'done' },
    });
    Object.assign(example.issue as object, { state_reason: 'not_planned' });
    expect((await source().interpret(delivery('issues', example))).events[0]).toMatchObject({
      item: { state: 'cancelled' },
    });
  });

  it('the ready label makes an open issue ready; the in-progress label takes it out of ready', async () => {
    const example = githubExample('issues', 'labeled');
    const github = provider();
    (example.issue as IssueJson).labels = [{ name: 'factory' }];
    const [ready] = (await source().interpret(delivery('issues', example))).events;
    expect(ready?.type === 'work-item.changed' && ready.item.state).toBe('todo');
    expect(ready?.type === 'work-item.changed' && github.isReadyForDispatch(ready.item)).toBe(true);
    (example.issue as IssueJson).labels = [{ name: 'factory' }, { name: 'factory: in progress' }];
    const [working] = (await source().interpret(delivery('issues', example))).events;
    expect(working?.type === 'work-item.changed' && working.item.state).toBe('in-progress');
    expect(working?.type === 'work-item.changed' && github.isReadyForDispatch(working.item)).toBe(false);
  });

  it('ignores other actions, other repositories and other events with a reason', async () => {
    const handled = new Set(['opened', 'edited', 'labeled', 'unlabeled', 'closed', 'reopened']);
    const others = githubExamples('issues').filter((example) => !handled.has(example.action));
    expect(others.length).toBeGreaterThan(5);
    for (const example of others)
      expect((await source().interpret(delivery('issues', example))).ignored).toBe(
        `issues action "${example.action}" does not change the work item`,
      );
    const elsewhere = githubExample('issues', 'opened');
    Object.assign(elsewhere.repository as object, { full_name: 'someone/else' });
    expect((await source().interpret(delivery('issues', elsewhere))).ignored).toBe(
      'someone/else is not a repository the factory follows',
    );
    expect((await source().interpret(delivery('push', {}))).ignored).toBe(
      'GitHub push events do not change issues',
    );
  });

  // The signature (another secret, none, another body): the WebhookSource conformance suite
  // (conformance/github-issues.test.ts).
});

describe('issue_comment as an answer', () => {
  it('a person’s new comment → clarification.replied in the thread of the issue', async () => {
    const example = githubExample('issue_comment', 'created');
    const comment = example.comment as { id: number; body: string };
    expect((await source(true).interpret(delivery('issue_comment', example))).events).toEqual([
      {
        type: 'clarification.replied',
        threadId: 'comments:Codertocat/Hello-World#1',
        messageId: String(comment.id),
        text: comment.body,
        author: { id: 'Codertocat', trusted: true, reason: 'author_association OWNER' },
      },
    ]);
  });

  it('is not an answer: with comments off, edited, on a pull request, by the factory (marker) or by a bot', async () => {
    const example = githubExample('issue_comment', 'created');
    expect((await source(false).interpret(delivery('issue_comment', example))).ignored).toContain(
      'not comments',
    );
    const edited = githubExample('issue_comment', 'edited');
    expect((await source(true).interpret(delivery('issue_comment', edited))).ignored).toBe(
      'issue_comment action "edited" is not an answer',
    );
    const onPull = structuredClone(example);
    Object.assign(onPull.issue as object, { pull_request: { url: 'x' } });
    expect((await source(true).interpret(delivery('issue_comment', onPull))).ignored).toBe(
      'comments on pull requests are not answers',
    );
    const ours = structuredClone(example);
    Object.assign(ours.comment as object, { body: `Question\n\n${GITHUB_COMMENT_MARKER} abc -->` });
    expect((await source(true).interpret(delivery('issue_comment', ours))).ignored).toBe(
      'the factory wrote this comment',
    );
    const bot = structuredClone(example);
    Object.assign(bot.comment as object, { user: { login: 'dependabot[bot]', type: 'Bot' } });
    expect((await source(true).interpret(delivery('issue_comment', bot))).ignored).toBe(
      'comments from bots are not answers',
    );
  });
});

describe('who may answer: the comment’s author_association, or a listed login', () => {
  /** The example comment (by Codertocat, OWNER), written by `login` with `association` instead. */
  function commentBy(login: string, association: string, id = 5000) {
    const example = structuredClone(githubExample('issue_comment', 'created'));
    const comment = example.comment as { user: Record<string, unknown>; author_association: string };
    comment.author_association = association;
    Object.assign(comment.user, { login, id });
    return delivery('issue_comment', example);
  }
  const authorOf = async (webhooks: GithubIssuesWebhookSource, login: string, association: string) =>
    ((await webhooks.interpret(commentBy(login, association))).events[0] as { author?: unknown })?.author;

  it.each(['OWNER', 'MEMBER', 'COLLABORATOR'])('trusts %s by default', async (association) => {
    expect(await authorOf(source(true), 'someone', association)).toEqual({
      id: 'someone',
      trusted: true,
      reason: `author_association ${association}`,
    });
  });

  it.each(['NONE', 'CONTRIBUTOR', 'FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER', 'MANNEQUIN'])(
    'does not trust %s by default, and says why',
    async (association) => {
      expect(await authorOf(source(true), 'stranger', association)).toEqual({
        id: 'stranger',
        trusted: false,
        reason: `author_association ${association} is not one of OWNER, MEMBER, COLLABORATOR, and the login is not in trustedAuthors.users`,
      });
    },
  );

  it('trusts listed logins (any case) or user ids whatever their association; roles narrow the defaults', async () => {
    const configured = new GithubIssuesWebhookSource({
      secret: SECRET,
      provider: provider(),
      commentReplies: true,
      trustedAuthors: { roles: ['OWNER'], users: ['Alice', '4242'] },
    });
    expect(await authorOf(configured, 'alice', 'NONE')).toMatchObject({
      trusted: true,
      reason: 'alice is listed in trustedAuthors.users',
    });
    const byId = await configured.interpret(commentBy('renamed-later', 'NONE', 4242));
    expect(byId.events[0]).toMatchObject({ author: { id: 'renamed-later', trusted: true } });
    expect(await authorOf(configured, 'member', 'MEMBER')).toMatchObject({ trusted: false });
  });

  it('refuses roles GitHub does not have and names that are no login', () => {
    const build = (trustedAuthors: { roles?: string[]; users?: string[] }) => () =>
      new GithubIssuesWebhookSource({ secret: SECRET, provider: provider(), trustedAuthors });
    expect(build({ roles: ['maintainer'] })).toThrow(
      'invalid GitHub Issues webhook config: trustedAuthors.roles.0: expected one of OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR, FIRST_TIMER, MANNEQUIN, NONE',
    );
    expect(build({ users: ['@alice'] })).toThrow(
      'trustedAuthors.users.0: expected a GitHub login such as octocat, or a numeric user id',
    );
  });
});

describe('writing back through the REST API', () => {
  // A repeated write writes nothing: the WorkItemProvider conformance suite (conformance/github-issues.test.ts).
  it('dispatched adds the in-progress label; done closes the issue as completed and removes it', async () => {
    const github = provider();
    const item = (await github.getWorkItem('Codertocat/Hello-World#1'))!;
    await github.setState(item, 'dispatched', write('s1'));
    const issue = () => server.issues.get('Codertocat/Hello-World#1')!;
    expect(issue().labels.map((label) => label.name)).toEqual(['factory', 'factory: in progress']);
    await github.setState(item, 'done', write('s2'));
    expect(issue()).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(issue().labels.map((label) => label.name)).toEqual(['factory']);
  });

  it('needs-review swaps the in-progress label for the review label; done closes the issue and removes both', async () => {
    const github = provider({ needsReviewLabel: 'factory: needs review' });
    const item = (await github.getWorkItem('Codertocat/Hello-World#1'))!;
    const labels = () => server.issues.get('Codertocat/Hello-World#1')!.labels.map((label) => label.name);
    await github.setState(item, 'dispatched', write('s1'));
    await github.setState(item, 'needs-review', write('s2'));
    expect(labels()).toEqual(['factory', 'factory: needs review']);
    expect((await github.getWorkItem('Codertocat/Hello-World#1'))?.state).toBe('in-review');
    await github.setState(item, 'done', write('s3'));
    expect(labels()).toEqual(['factory']);
    expect(server.issues.get('Codertocat/Hello-World#1')?.state).toBe('closed');
  });

  it('cancelled takes the markers and the ready label off and leaves the issue open', async () => {
    const github = provider({ needsReviewLabel: 'factory: needs review' });
    const item = (await github.getWorkItem('Codertocat/Hello-World#1'))!;
    await github.setState(item, 'dispatched', write('s1'));
    await github.setState(item, 'cancelled', write('s2'));
    expect(server.issues.get('Codertocat/Hello-World#1')).toMatchObject({ state: 'open', labels: [] });
  });

  it('throws when GitHub acknowledges the label but the read-back lacks it; the retry lands it', async () => {
    const github = provider();
    const item = (await github.getWorkItem('Codertocat/Hello-World#1'))!;
    server.forgetWrites = 1;
    await expect(github.setState(item, 'dispatched', write('s1'))).rejects.toThrow(
      'GitHub did not keep dispatched on HELLOWORLD-1: label "factory: in progress" is not on it',
    );
    await github.setState(item, 'dispatched', write('s1'));
    expect(server.issues.get('Codertocat/Hello-World#1')?.labels).toContainEqual({
      name: 'factory: in progress',
    });
  });

  it('rejects an empty review label naming the field', () => {
    expect(() => provider({ needsReviewLabel: '' })).toThrow(
      /invalid GitHub Issues provider config: .*needsReviewLabel/,
    );
  });

  it('hides the run’s trace id in an HTML comment, before the idempotency marker', async () => {
    const github = provider();
    const item = (await github.getWorkItem('HELLOWORLD-1'))!;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await github.postComment(item, 'An agent is working on this.', { ...write('c1'), traceId });
    expect(server.comments.get('Codertocat/Hello-World#1')?.[0]?.body).toMatch(
      /^An agent is working on this\.\n\n<!-- factory-trace-id: 4bf92f3577b34da6a3ce929d0e0e4736 -->\n\n<!-- factory:comment [0-9a-f]{32} -->$/,
    );
  });

  it('comments carry a hidden marker; a retried write is one comment even when the POST landed and answered 5xx', async () => {
    const github = provider();
    const item = (await github.getWorkItem('HELLOWORLD-1'))!;
    await github.postComment(item, 'An agent is working on this.', write('c1'));
    const comments = () => server.comments.get('Codertocat/Hello-World#1') ?? [];
    expect(comments()).toHaveLength(1);
    expect(comments()[0]?.body).toMatch(
      /^An agent is working on this\.\n\n<!-- factory:comment [0-9a-f]{32} -->$/,
    );
    server.failNext('POST /repos/Codertocat/Hello-World/issues/1/comments', {
      status: 502,
      body: { message: 'Server Error' },
    });
    await expect(github.postComment(item, 'Second.', write('c2'))).rejects.toThrow('Server Error');
    expect(comments()).toHaveLength(1);
    await github.postComment(item, 'Second.', write('c2'));
    expect(comments()).toHaveLength(2);
  });

  it('retries a 429 after its Retry-After and 5xx answers on reads', async () => {
    const github = provider();
    server.failNext(
      'GET /repos/Codertocat/Hello-World/issues/1',
      { status: 429, headers: { 'retry-after': '2' }, body: { message: 'API rate limit exceeded' } },
      { status: 503, body: { message: 'unavailable' } },
    );
    expect(await github.getWorkItem('Codertocat/Hello-World#1')).toMatchObject({ key: 'HELLOWORLD-1' });
    expect(github.waits).toEqual([2000, expect.any(Number)]);
  });

  it('reads undefined for other repositories and refs that are no issue; an issue URL reads the issue', async () => {
    expect(await provider().getWorkItem('other/repo#1')).toBeUndefined();
    expect(await provider().getWorkItem('ENG-1')).toBeUndefined();
    expect(await provider().getWorkItem('https://github.com/Codertocat/Hello-World/issues/1')).toMatchObject({
      key: 'HELLOWORLD-1',
    });
  });

  it('checks the connection with the scopes of a classic token, and names a missing one', async () => {
    expect(await provider().checkConnection()).toEqual({
      state: 'connected',
      identity: 'factory-bot',
      grantedScopes: ['repo'],
    });
    server.scopes = ['public_repo'];
    expect(await provider().checkConnection()).toMatchObject({ state: 'missing-scopes', missing: ['repo'] });
    server.scopes = ['repo'];
    const revoked = await provider({ token: 'ghp_revoked' }).checkConnection();
    expect(revoked.state).toBe('needs-auth');
    expect(JSON.stringify(revoked)).toContain('factory connect github-issues');
    expect(JSON.stringify(revoked)).not.toContain('ghp_revoked');
  });
});

describe('through the core: dispatch, review and completion on a GitHub issue', () => {
  it('an issue whose last attempt failed is not started again by the webhook of the factory’s own label change; adding the ready label back starts it', async () => {
    const github = provider();
    const core = coreOverTracker(github, {
      repository: 'Codertocat/Hello-World',
      settings: { retry: { maxAttempts: 1 } },
    });
    const issueId = 'Codertocat/Hello-World#1';
    Object.assign(server.issues.get(issueId)!, {
      title: 'Print JSON with --json',
      body: 'The export command should print JSON when --json is passed. Done when the JSON matches the table rows.',
    });
    await core.factory.handle({ type: 'work-item.changed', item: (await github.getWorkItem(issueId))! });
    const [agentId] = [...core.fleet.agents.keys()];
    await core.factory.handle({ type: 'agent.exited', agentId: agentId!, outcome: 'failed', exitCode: 1 });
    expect(await core.store.getRecord(core.tenant, issueId)).toMatchObject({ status: 'failed' });

    // GitHub delivers issues/unlabeled for the labels the factory took off, a moment later.
    const later = (at: string, seconds: number) => new Date(Date.parse(at) + seconds * 1000).toISOString();
    const unlabeled = (await github.getWorkItem(issueId))!;
    await core.factory.handle({
      type: 'work-item.changed',
      item: { ...unlabeled, updatedAt: later(unlabeled.updatedAt, 5) },
    });
    expect(await core.store.getRecord(core.tenant, issueId)).toMatchObject({ status: 'failed' });
    expect(core.fleet.spawnCalls).toBe(1);

    server.issues.get(issueId)!.labels.push({ name: 'factory' });
    const relabelled = (await github.getWorkItem(issueId))!;
    await core.factory.handle({
      type: 'work-item.changed',
      item: { ...relabelled, updatedAt: later(unlabeled.updatedAt, 60) },
    });
    expect(await core.store.getRecord(core.tenant, issueId)).toMatchObject({ status: 'dispatched' });
    expect(core.fleet.spawnCalls).toBe(2);
  });

  it('labels in progress before the dispatch comment, retries a label GitHub did not keep, marks review, closes on merge, never merges', async () => {
    const github = provider({ needsReviewLabel: 'factory: needs review' });
    const core = coreOverTracker(github, {
      repository: 'Codertocat/Hello-World',
      settings: { completion: { on: 'merged' } },
    });
    const issueId = 'Codertocat/Hello-World#1';
    const labels = () => server.issues.get(issueId)!.labels.map((label) => label.name);
    const comments = () => server.comments.get(issueId) ?? [];
    const opened = server.issues.get(issueId)!;
    Object.assign(opened, {
      title: 'Print JSON with --json',
      body: 'The export command should print JSON when --json is passed. Done when the JSON matches the table rows.',
    });
    const item = (await github.getWorkItem(issueId))!;

    server.forgetWrites = 1;
    const first = await core.factory.handle({ type: 'work-item.changed', item });
    expect(first.outcome).toBe('incomplete');
    expect(first.error).toMatch(/GitHub did not keep dispatched/);
    expect(comments()).toEqual([]);
    expect(core.fleet.spawnCalls).toBe(0);

    core.clock.advance(1);
    await core.factory.handle({ type: 'tick' });
    expect(labels()).toEqual(['factory', 'factory: in progress']);
    expect(comments()).toHaveLength(1);
    expect(core.fleet.spawnCalls).toBe(1);
    const write = server.requests.filter((request) => !request.startsWith('GET '));
    expect(write.indexOf('POST /repos/Codertocat/Hello-World/issues/1/labels')).toBeLessThan(
      write.indexOf('POST /repos/Codertocat/Hello-World/issues/1/comments'),
    );

    await core.factory.handle(core.output(item, 'ready'));
    await core.factory.handle(core.output(item, 'ready'));
    expect(labels()).toEqual(['factory', 'factory: needs review']);
    expect(await core.store.getRecord(core.tenant, issueId)).toMatchObject({ status: 'dispatched' });

    await core.factory.handle(core.output(item, 'merged'));
    expect(server.issues.get(issueId)).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(labels()).toEqual(['factory']);
    expect(comments()).toHaveLength(2);
    for (const comment of comments())
      expect(traceIdIn(comment.body)).toBe(traceIdFor(core.tenant, issueId, 1));
    expect(server.requests.filter((request) => /\/(pulls|merges?)\b/.test(request))).toEqual([]);
  });
});
