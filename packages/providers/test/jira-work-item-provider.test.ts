import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { textToAdf } from '../src/jira/atlassian-document.ts';
import {
  JIRA_COMMENT_PROPERTY,
  JIRA_TRACE_PROPERTY,
  type JiraProviderOptions,
  JiraWorkItemProvider,
} from '../src/jira/work-item-provider.ts';
import { NotAuthorisedError } from '../src/shared/provider-errors.ts';
import { JiraServer } from './support/jira-server.ts';
import { recordingSleep } from './support/loopback.ts';

let server: JiraServer;
beforeAll(async () => {
  server = await new JiraServer().start();
});
afterAll(() => server.stop());
beforeEach(() => {
  server.issues.clear();
  server.comments.length = 0;
  server.transitionsPosted.length = 0;
  server.requests.length = 0;
  server.edits.length = 0;
  server.forgetWrites = 0;
  server.addIssue({
    id: '10040',
    key: 'TES-41',
    summary: 'Export the report as JSON',
    description: textToAdf('The export command should print JSON.\n\nDone when the rows match the table.'),
    labels: ['factory'],
    statusId: '10001',
    projectId: '10000',
    projectKey: 'TES',
    issueTypeId: '10001',
    updated: '2026-01-01T11:00:00.000+0000',
  });
});

function jira(options: Partial<JiraProviderOptions> = {}) {
  const recorder = recordingSleep();
  const provider = new JiraWorkItemProvider({
    siteUrl: 'https://acme.atlassian.net',
    apiUrl: server.url,
    email: 'factory@acme.test',
    token: 'jira-api-token-test',
    retry: { sleep: recorder.sleep, random: () => 0.5 },
    ...options,
  });
  return Object.assign(provider, { waits: recorder.waits });
}

const write = (key: string) => ({ idempotencyKey: `acme/10040/r1/${key}` });

describe('reading issues (REST v3)', () => {
  it('reads one by key, id or browse URL, with its ADF description as text', async () => {
    const expected = {
      id: '10040',
      key: 'TES-41',
      title: 'Export the report as JSON',
      description: 'The export command should print JSON.\n\nDone when the rows match the table.',
      state: 'todo',
      labels: ['factory'],
      project: 'TES',
      updatedAt: '2026-01-01T11:00:00.000Z',
      source: { provider: 'jira', externalId: '10040', url: 'https://acme.atlassian.net/browse/TES-41' },
    };
    expect(await jira().getWorkItem('TES-41')).toMatchObject(expected);
    expect(await jira().getWorkItem('10040')).toMatchObject(expected);
    expect(await jira().getWorkItem('https://acme.atlassian.net/browse/TES-41')).toMatchObject(expected);
    expect(server.requests[0]).toContain(
      'fields=summary%2Cdescription%2Clabels%2Cstatus%2Cproject%2Cissuetype%2Cupdated',
    );
  });

  it('answers undefined, without asking Jira, for refs that are not this site’s issues', async () => {
    server.requests.length = 0;
    expect(await jira().getWorkItem('https://other.atlassian.net/browse/TES-41')).toBeUndefined();
    expect(await jira().getWorkItem('not a key')).toBeUndefined();
    expect(server.requests).toEqual([]);
  });

  it('is ready in a configured status (by name or category) with the required labels, in a followed project', async () => {
    const item = (await jira().getWorkItem('TES-41'))!;
    expect(jira().isReadyForDispatch(item)).toBe(true);
    expect(jira({ readyStatuses: ['new'] }).isReadyForDispatch(item)).toBe(true);
    expect(jira({ readyStatuses: ['Selected for Development'] }).isReadyForDispatch(item)).toBe(false);
    expect(jira({ requiredLabels: ['factory', 'backend'] }).isReadyForDispatch(item)).toBe(false);
    expect(jira({ projects: ['OPS'] }).isReadyForDispatch(item)).toBe(false);
  });
});

describe('transitions', () => {
  it('moves the issue by looking up the transition to the configured category, caching the ids', async () => {
    const provider = jira();
    await provider.setState((await provider.getWorkItem('TES-41'))!, 'dispatched', write('set-state-1'));
    expect(server.statusOf('TES-41')?.name).toBe('In Progress');
    expect(server.transitionsPosted).toEqual([{ key: 'TES-41', id: '21' }]);

    // Same workflow position again (another issue in To Do): the transitions are not asked again.
    server.addIssue({ ...server.issues.get('TES-41')!, id: '10041', key: 'TES-42', statusId: '10001' });
    server.requests.length = 0;
    await provider.setState((await provider.getWorkItem('TES-42'))!, 'dispatched', write('set-state-2'));
    expect(
      server.requests.filter((request) => request.startsWith('GET /rest/api/3/issue/TES-42/transitions')),
    ).toEqual([]);
  });

  it('moves by status name', async () => {
    const provider = jira({ writeback: { done: { status: 'Done' } } });
    const item = (await provider.getWorkItem('TES-41'))!;
    await provider.setState(item, 'done', write('set-state-3'));
    expect(server.statusOf('TES-41')?.name).toBe('Done');
    expect(server.transitionsPosted).toEqual([{ key: 'TES-41', id: '31' }]);
  });

  it('names the available statuses when the workflow has no way to the configured one', async () => {
    const provider = jira({ writeback: { dispatched: { status: 'Doing' } } });
    await expect(
      provider.setState((await provider.getWorkItem('TES-41'))!, 'dispatched', write('x')),
    ).rejects.toThrow(
      'Jira has no transition from "To Do" to status "Doing" for TES-41 (available: "In Progress", "Done", "In Review")',
    );
  });
});

describe('lifecycle markers', () => {
  const markers = { inProgress: 'factory:in-progress', needsReview: 'factory:needs-review' };

  it('labels the issue in progress before transitioning it, swaps to the review label and status, and clears both at done', async () => {
    const provider = jira({ markers, writeback: { needsReview: { status: 'In Review' } } });
    const item = (await provider.getWorkItem('TES-41'))!;
    await provider.setState(item, 'dispatched', write('s1'));
    expect(server.issues.get('TES-41')?.labels).toEqual(['factory', 'factory:in-progress']);
    expect(server.statusOf('TES-41')?.name).toBe('In Progress');
    const order = server.requests.filter((request) => /^(PUT|POST) \/rest\/api\/3\/issue\//.test(request));
    expect(order).toEqual(['PUT /rest/api/3/issue/TES-41', 'POST /rest/api/3/issue/TES-41/transitions']);

    await provider.setState(item, 'needs-review', write('s2'));
    expect(server.issues.get('TES-41')?.labels).toEqual(['factory', 'factory:needs-review']);
    expect(server.statusOf('TES-41')?.name).toBe('In Review');
    await provider.setState(item, 'done', write('s3'));
    expect(server.issues.get('TES-41')?.labels).toEqual(['factory']);
    expect(server.statusOf('TES-41')?.name).toBe('Done');
    expect(server.edits.map((edit) => edit.body)).toEqual([
      { update: { labels: [{ add: 'factory:in-progress' }] } },
      { update: { labels: [{ add: 'factory:needs-review' }, { remove: 'factory:in-progress' }] } },
      { update: { labels: [{ remove: 'factory:needs-review' }] } },
    ]);
  });

  it('takes the markers off when the factory stops, without moving the issue', async () => {
    const provider = jira({ markers });
    const item = (await provider.getWorkItem('TES-41'))!;
    await provider.setState(item, 'dispatched', write('s1'));
    server.issues.get('TES-41')!.statusId = '10001';
    await provider.setState(item, 'cancelled', write('s2'));
    expect(server.issues.get('TES-41')?.labels).toEqual(['factory']);
    expect(server.statusOf('TES-41')?.name).toBe('To Do');
    expect(server.transitionsPosted).toHaveLength(1);
  });

  it('without a review status, needs-review only swaps the labels; without markers it writes nothing', async () => {
    const labelled = jira({ markers });
    const item = (await labelled.getWorkItem('TES-41'))!;
    await labelled.setState(item, 'dispatched', write('s1'));
    await labelled.setState(item, 'needs-review', write('s2'));
    expect(server.statusOf('TES-41')?.name).toBe('In Progress');
    expect(server.issues.get('TES-41')?.labels).toEqual(['factory', 'factory:needs-review']);
    const writes = server.requests.filter((request) => !request.startsWith('GET ')).length;
    await jira().setState(item, 'needs-review', write('s3'));
    expect(server.requests.filter((request) => !request.startsWith('GET ')).length).toBe(writes);
  });

  it('throws when Jira answers 204 but the read-back shows neither the label nor the status; the retry lands it', async () => {
    const provider = jira({ markers });
    const item = (await provider.getWorkItem('TES-41'))!;
    server.forgetWrites = 2;
    await expect(provider.setState(item, 'dispatched', write('s1'))).rejects.toThrow(
      'Jira did not keep dispatched on TES-41: it is in "To Do", not a status of category "indeterminate"; label "factory:in-progress" is not on it',
    );
    await provider.setState(item, 'dispatched', write('s1'));
    expect(server.statusOf('TES-41')?.name).toBe('In Progress');
    expect(server.issues.get('TES-41')?.labels).toContain('factory:in-progress');
  });

  it.each([
    [{ markers: { inProgress: 'factory in progress' } }, 'markers.inProgress'],
    [{ markers: { review: 'x' } }, 'markers'],
    [{ writeback: { needsReview: {} } }, 'writeback.needsReview'],
  ])('rejects %j naming the field', (config, field) => {
    expect(() => jira(config as Partial<JiraProviderOptions>)).toThrow(
      new RegExp(`invalid Jira provider config: .*${field.replace('.', '\\.')}`),
    );
  });
});

describe('comments', () => {
  it('carries the run’s trace id in an entity property, not in the comment text', async () => {
    const provider = jira();
    const item = (await provider.getWorkItem('TES-41'))!;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await provider.postComment(item, 'An agent is working on this.', { ...write('c1'), traceId });
    const [comment] = server.commentsOn('TES-41');
    expect(comment?.properties).toContainEqual({ key: JIRA_TRACE_PROPERTY, value: { traceId } });
    expect(JSON.stringify(comment?.body)).not.toContain(traceId);
    await provider.postComment(item, 'No run.', { ...write('c2'), traceId: 'not-a-trace-id' });
    expect(server.commentsOn('TES-41')[1]?.properties.map((property) => property.key)).toEqual([
      JIRA_COMMENT_PROPERTY,
    ]);
  });

  it('posts an ADF comment, links as links, carrying the idempotency property', async () => {
    const provider = jira();
    const item = (await provider.getWorkItem('TES-41'))!;
    await provider.postComment(
      item,
      'Done: https://gitlab.com/acme/app/-/merge_requests/3 is ready.',
      write('comment-1'),
    );
    const [comment, ...others] = server.commentsOn('TES-41');
    expect(others).toEqual([]);
    expect(comment?.properties[0]?.key).toBe(JIRA_COMMENT_PROPERTY);
    expect(comment?.body).toEqual({
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Done: ' },
            {
              type: 'text',
              text: 'https://gitlab.com/acme/app/-/merge_requests/3',
              marks: [{ type: 'link', attrs: { href: 'https://gitlab.com/acme/app/-/merge_requests/3' } }],
            },
            { type: 'text', text: ' is ready.' },
          ],
        },
      ],
    });
  });

  it('does not replay a comment POST answered 5xx after it landed: the read-back finds it, one comment', async () => {
    const provider = jira();
    const item = (await provider.getWorkItem('TES-41'))!;
    server.landThenFail.add('POST /rest/api/3/issue/TES-41/comment');
    await provider.postComment(item, 'Hello.', write('comment-3'));
    expect(server.landThenFail.size).toBe(0);
    expect(server.commentsOn('TES-41')).toHaveLength(1);
    expect(
      server.requests.filter((request) => request.startsWith('POST /rest/api/3/issue/TES-41/comment')),
    ).toHaveLength(1);
  });

  it('a comment POST refused with a 5xx that did not land fails, and the next attempt posts it once', async () => {
    const provider = jira();
    const item = (await provider.getWorkItem('TES-41'))!;
    server.failNext('POST /rest/api/3/issue/TES-41/comment', {
      status: 503,
      body: { errorMessages: ['busy'] },
    });
    await expect(provider.postComment(item, 'Hello.', write('comment-4'))).rejects.toThrow('busy');
    expect(server.commentsOn('TES-41')).toHaveLength(0);
    await provider.postComment(item, 'Hello.', write('comment-4'));
    expect(server.commentsOn('TES-41')).toHaveLength(1);
  });
});

describe('transient failures', () => {
  it('retries a 429 after its Retry-After and 5xx answers on reads', async () => {
    const provider = jira();
    server.failNext(
      '/rest/api/3/issue/TES-41',
      { status: 429, headers: { 'retry-after': '3' }, body: { errorMessages: ['Rate limit exceeded.'] } },
      { status: 502, body: '<html>Bad gateway</html>' },
    );
    expect(await provider.getWorkItem('TES-41')).toMatchObject({ key: 'TES-41' });
    expect(provider.waits[0]).toBe(3000);
    expect(provider.waits).toHaveLength(2);
  });

  it('gives up after the last attempt with the vendor’s reason', async () => {
    const faults = Array.from({ length: 4 }, () => ({
      status: 500,
      body: { errorMessages: ['Internal server error'] },
    }));
    server.failNext('/rest/api/3/issue/TES-41', ...faults);
    await expect(jira().getWorkItem('TES-41')).rejects.toThrow(
      'Jira GET /rest/api/3/issue/TES-41 failed: Internal server error',
    );
  });
});

describe('connection', () => {
  it('with an API token: connected as the account, no scopes reported', async () => {
    expect(await jira().checkConnection()).toEqual({
      state: 'connected',
      identity: 'factory@acme.test @ acme.atlassian.net',
    });
  });

  it('with an OAuth token: the site’s granted scopes from accessible-resources, missing ones named', async () => {
    const oauth = (token: string) =>
      jira({
        email: undefined,
        token,
        accessibleResourcesUrl: `${server.url}/oauth/token/accessible-resources`,
      });
    expect(await oauth('jira-oauth-token-test').checkConnection()).toMatchObject({
      state: 'connected',
      grantedScopes: ['read:jira-work', 'write:jira-work', 'read:jira-user'],
    });
    server.bearerTokens.set('jira-oauth-read-only', ['read:jira-work', 'read:jira-user']);
    expect(await oauth('jira-oauth-read-only').checkConnection()).toMatchObject({
      state: 'missing-scopes',
      missing: ['write:jira-work'],
    });
    server.siteUrl = 'https://elsewhere.atlassian.net';
    const status = await oauth('jira-oauth-token-test').checkConnection();
    server.siteUrl = 'https://acme.atlassian.net';
    expect(status).toMatchObject({ state: 'needs-auth' });
    expect((status as { reason: string }).reason).toContain('no access to https://acme.atlassian.net');
  });

  // needs-auth without a token or with a refused one, and error when Jira cannot be reached: the
  // WorkItemProvider conformance suite (conformance/jira.test.ts).
  it('never shows a refused token; an API call with it says how to connect', async () => {
    const status = await jira({ token: 'revoked-jira-token' }).checkConnection();
    expect(JSON.stringify(status)).not.toContain('revoked-jira-token');
    const error = await jira({ token: 'revoked-jira-token' })
      .getWorkItem('TES-41')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotAuthorisedError);
    expect((error as Error).message).toContain('factory connect jira');
    expect((error as Error).message).not.toContain('revoked-jira-token');
  });
});

describe('config', () => {
  it.each([
    [{ siteUrl: 'acme.atlassian.net' }, 'siteUrl'],
    [{ email: 'not-an-email' }, 'email'],
    [{ readyStatuses: [] }, 'readyStatuses'],
    [{ projects: ['lower'] }, 'projects.0'],
    [{ writeback: { done: {} } }, 'writeback.done'],
    [{ writeback: { done: { category: 'closed' } } }, 'writeback.done.category'],
    [{ transitionIds: { done: '31' } }, 'transitionIds'],
  ])('rejects %j naming the field', (config, field) => {
    expect(() => jira(config as Partial<JiraProviderOptions>)).toThrow(
      new RegExp(`invalid Jira provider config: .*${field.replace('.', '\\.')}`),
    );
  });
});
