import type { WorkItem } from '@software-factory/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LinearProviderOptions, LinearWorkItemProvider } from '../src/linear/work-item-provider.ts';
import { NotAuthorisedError } from '../src/shared/provider-errors.ts';
import { defaultStates, LinearServer } from './support/linear-server.ts';
import { recordingSleep } from './support/loopback.ts';

const TOKEN = 'lin_oauth_test_token';
let server: LinearServer;

beforeAll(async () => {
  server = await new LinearServer().start();
});
afterAll(() => server.stop());

beforeEach(() => {
  server.teams.clear();
  server.issues.clear();
  server.comments.clear();
  server.updates.length = 0;
  server.operations.length = 0;
  server.addTeam({ id: 'team-eng', key: 'ENG', name: 'Engineering', states: defaultStates('eng') });
  server.addIssue({
    id: '9cfb482a-81e3-4154-b5b9-2c805e70a02d',
    identifier: 'ENG-42',
    number: 42,
    title: 'Export as JSON',
    description: 'The export command should print JSON when --json is passed.',
    url: 'https://linear.app/acme/issue/ENG-42/export-as-json',
    updatedAt: '2026-01-01T10:00:00.000Z',
    priority: 2,
    stateId: 'eng-todo',
    teamId: 'team-eng',
    project: { id: 'project-1', name: 'CLI' },
    labels: [
      { id: 'label-1', name: 'factory' },
      { id: 'label-2', name: 'Feature' },
    ],
  });
});

function provider(options: Partial<LinearProviderOptions> = {}) {
  const recorder = recordingSleep();
  const linear = new LinearWorkItemProvider({
    apiUrl: server.url,
    token: TOKEN,
    retry: { sleep: recorder.sleep, random: () => 0.5 },
    ...options,
  });
  return Object.assign(linear, { waits: recorder.waits });
}

async function issue(linear: LinearWorkItemProvider): Promise<WorkItem> {
  const item = await linear.getWorkItem('ENG-42');
  if (!item) throw new Error('ENG-42 not found');
  return item;
}

const write = (key: string) => ({ idempotencyKey: key });

describe('reading issues', () => {
  it('reads one issue by id, by identifier and by URL as the same normalised work item', async () => {
    const linear = provider();
    const byKey = await linear.getWorkItem('ENG-42');
    expect(byKey).toMatchObject({
      id: '9cfb482a-81e3-4154-b5b9-2c805e70a02d',
      key: 'ENG-42',
      title: 'Export as JSON',
      state: 'todo',
      labels: ['factory', 'Feature'],
      team: 'ENG',
      project: 'CLI',
      updatedAt: '2026-01-01T10:00:00.000Z',
      source: {
        provider: 'linear',
        externalId: '9cfb482a-81e3-4154-b5b9-2c805e70a02d',
        url: 'https://linear.app/acme/issue/ENG-42/export-as-json',
      },
    });
    expect(await linear.getWorkItem('9cfb482a-81e3-4154-b5b9-2c805e70a02d')).toEqual(byKey);
    expect(await linear.getWorkItem('https://linear.app/acme/issue/ENG-42/export-as-json')).toEqual(byKey);
  });

  it('maps a started state named "In Review" to in-review, and honours explicit state names', async () => {
    server.issues.get('9cfb482a-81e3-4154-b5b9-2c805e70a02d')!.stateId = 'eng-review';
    expect((await issue(provider())).state).toBe('in-review');
    const custom = provider({ stateNames: { 'In Review': 'in-progress' } });
    expect((await issue(custom)).state).toBe('in-progress');
  });
});

describe('readiness', () => {
  it('is ready in a configured ready state with every required label, by name or by state type', async () => {
    const linear = provider();
    const item = await issue(linear);
    expect(linear.isReadyForDispatch(item)).toBe(true);
    expect(linear.isReadyForDispatch({ ...item, labels: ['Feature'] })).toBe(false);
    expect(provider({ requiredLabels: ['factory', 'backend'] }).isReadyForDispatch(item)).toBe(false);
    expect(provider({ readyStates: ['unstarted'] }).isReadyForDispatch(item)).toBe(true);
    expect(provider({ readyStates: ['Ready for agent'] }).isReadyForDispatch(item)).toBe(false);
  });
});

describe('moving issues', () => {
  it('moves to the first started state when dispatched and the first completed state when done, resolving ids once', async () => {
    const linear = provider();
    const item = await issue(linear);
    await linear.setState(item, 'dispatched', write('t/i/r1/e1'));
    expect(server.stateOf(item.id)?.name).toBe('In Progress');
    await linear.setState(item, 'done', write('t/i/r1/e2'));
    expect(server.stateOf(item.id)?.name).toBe('Done');
    expect(server.updates).toEqual([
      { issueId: item.id, stateId: 'eng-progress' },
      { issueId: item.id, stateId: 'eng-done' },
    ]);
    expect(server.operations.filter((op) => op === 'FactoryTeamStates')).toHaveLength(1);
  });

  it('uses a configured state name, and refuses clearly when the team has no such state', async () => {
    const named = provider({ writeback: { dispatched: { name: 'In Review' } } });
    const item = await issue(named);
    await named.setState(item, 'dispatched', write('k1'));
    expect(server.stateOf(item.id)?.name).toBe('In Review');

    const missing = provider({ writeback: { done: { name: 'Shipped' } } });
    await expect(missing.setState(item, 'done', write('k2'))).rejects.toThrow(
      'no workflow state named "Shipped"',
    );
    expect(server.updates).toHaveLength(1);
  });
});

describe('lifecycle markers', () => {
  const markers = { inProgress: 'factory:in-progress', needsReview: 'factory:needs-review' };
  beforeEach(() => {
    server.labels.clear();
    server.updateInputs.length = 0;
    server.forgetUpdates = 0;
    server.labels.set('label-wip', { id: 'label-wip', name: 'factory:in-progress', teamId: 'team-eng' });
    server.labels.set('label-review', { id: 'label-review', name: 'factory:needs-review' });
  });

  it('puts the in-progress label on at dispatch, swaps it for the review label, and takes both off when done', async () => {
    const linear = provider({ markers });
    const item = await issue(linear);
    await linear.setState(item, 'dispatched', write('k1'));
    expect(server.labelsOf(item.id)).toEqual(['factory', 'Feature', 'factory:in-progress']);
    await linear.setState(item, 'needs-review', write('k2'));
    expect(server.labelsOf(item.id)).toEqual(['factory', 'Feature', 'factory:needs-review']);
    // Without a review state configured, the issue stays in its started state.
    expect(server.stateOf(item.id)?.name).toBe('In Progress');
    await linear.setState(item, 'done', write('k3'));
    expect(server.labelsOf(item.id)).toEqual(['factory', 'Feature']);
    expect(server.stateOf(item.id)?.name).toBe('Done');
  });

  it('takes the markers off when the factory stops, and leaves the state where the person put it', async () => {
    const linear = provider({ markers });
    const item = await issue(linear);
    await linear.setState(item, 'dispatched', write('k1'));
    server.issues.get(item.id)!.stateId = 'eng-backlog';
    await linear.setState(item, 'cancelled', write('k2'));
    expect(server.labelsOf(item.id)).toEqual(['factory', 'Feature']);
    expect(server.stateOf(item.id)?.name).toBe('Backlog');
    expect(server.updateInputs.at(-1)?.input).toEqual({ removedLabelIds: ['label-wip'] });
  });

  it('throws when Linear acknowledges the update but the read-back does not show it', async () => {
    const linear = provider({ markers });
    const item = await issue(linear);
    server.forgetUpdates = 1;
    await expect(linear.setState(item, 'dispatched', write('k1'))).rejects.toThrow(
      'Linear did not keep dispatched on ENG-42: it is in "Todo", not "In Progress"; label "factory:in-progress" is not on it',
    );
    await linear.setState(item, 'dispatched', write('k1'));
    expect(server.stateOf(item.id)?.name).toBe('In Progress');
    expect(server.labelsOf(item.id)).toContain('factory:in-progress');
  });

  it('prefers the team’s label over a workspace label of the same name, and creates a missing one in the team once', async () => {
    server.labels.set('label-wip-workspace', { id: 'label-wip-workspace', name: 'factory:in-progress' });
    const linear = provider({ markers: { inProgress: 'factory:in-progress', needsReview: 'Needs Review' } });
    const item = await issue(linear);
    await linear.setState(item, 'dispatched', write('k1'));
    expect(server.updateInputs.at(-1)?.input.addedLabelIds).toEqual(['label-wip']);
    await linear.setState(item, 'needs-review', write('k2'));
    await linear.setState(item, 'dispatched', write('k3'));
    await linear.setState(item, 'needs-review', write('k4'));
    const created = [...server.labels.values()].filter((label) => label.name === 'Needs Review');
    expect(created).toEqual([expect.objectContaining({ teamId: 'team-eng' })]);
    expect(server.operations.filter((op) => op === 'FactoryLabelCreate')).toHaveLength(1);
  });

  it('applies no labels without markers configured: only the state moves', async () => {
    const linear = provider();
    const item = await issue(linear);
    await linear.setState(item, 'dispatched', write('k1'));
    await linear.setState(item, 'needs-review', write('k2'));
    expect(server.updateInputs.map((update) => update.input)).toEqual([{ stateId: 'eng-progress' }]);
    expect(server.labelsOf(item.id)).toEqual(['factory', 'Feature']);
  });
});

describe('comments', () => {
  it('hides the run’s trace id in an HTML comment after the text, which Linear does not render', async () => {
    const linear = provider();
    const item = await issue(linear);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await linear.postComment(item, 'An agent is working on this.', { idempotencyKey: 'k', traceId });
    expect([...server.comments.values()][0]?.body).toBe(
      `An agent is working on this.\n\n<!-- factory-trace-id: ${traceId} -->`,
    );
  });

  it('embeds nothing that is not a W3C trace id (it could close the HTML comment)', async () => {
    const linear = provider();
    const item = await issue(linear);
    await linear.postComment(item, 'Hello.', { idempotencyKey: 'k', traceId: 'x --> <b>bold</b>' });
    expect([...server.comments.values()][0]?.body).toBe('Hello.');
  });

  // One comment per idempotency key: the WorkItemProvider conformance suite (conformance/linear.test.ts).
  it('names each comment by a UUID v4 derived from its idempotency key, which Linear refuses twice', async () => {
    const linear = provider();
    const item = await issue(linear);
    await linear.postComment(item, 'An agent is working on this.', write('tenant/item/r1/c1'));
    await linear.postComment(item, 'Done.', write('tenant/item/r1/c2'));
    for (const id of server.comments.keys())
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('transient failures', () => {
  it('retries a 429 after its Retry-After, a GraphQL "ratelimited" error and 5xx answers', async () => {
    const linear = provider();
    const item = await issue(linear);
    server.failNext('FactoryTeamStates', {
      status: 429,
      headers: { 'retry-after': '2' },
      body: { errors: [{ message: 'Rate limit exceeded', extensions: { type: 'ratelimited' } }] },
    });
    server.failNext(
      'FactoryIssueSetState',
      {
        status: 400,
        body: {
          errors: [
            { message: 'Rate limit exceeded', extensions: { type: 'ratelimited', code: 'RATELIMITED' } },
          ],
        },
      },
      { status: 500 },
      { status: 502 },
    );
    await linear.setState(item, 'dispatched', write('k'));
    expect(server.stateOf(item.id)?.name).toBe('In Progress');
    expect(linear.waits[0]).toBe(2000);
    expect(linear.waits).toHaveLength(4);
    expect(server.faults.pending).toBe(0);
  });

  it('fails with a clear error when the 5xx answers outlast the retries', async () => {
    const linear = provider({ retry: { sleep: async () => {}, maxAttempts: 2 } });
    server.failNext('FactoryIssue', { status: 503 }, { status: 503 });
    await expect(linear.getWorkItem('ENG-42')).rejects.toThrow('Linear FactoryIssue failed: HTTP 503');
  });
});

describe('connection', () => {
  it('is connected as the viewer in the organisation, with the scopes the token was granted', async () => {
    const linear = provider({ token: async () => ({ accessToken: TOKEN, scopes: ['read', 'write'] }) });
    expect(await linear.checkConnection()).toEqual({
      state: 'connected',
      identity: 'factory@example.com @ acme',
      grantedScopes: ['read', 'write'],
    });
    expect(linear.requiredScopes).toEqual(['read', 'write']);
  });

  it('names the missing scopes', async () => {
    const linear = provider({ token: async () => ({ accessToken: TOKEN, scopes: ['read'] }) });
    expect(await linear.checkConnection()).toMatchObject({ state: 'missing-scopes', missing: ['write'] });
  });

  it('sends a personal API key bare and an OAuth token as a bearer token', async () => {
    server.tokens.add('lin_api_personal_key');
    expect((await provider({ token: 'lin_api_personal_key' }).checkConnection()).state).toBe('connected');
  });

  // needs-auth without a token or with a refused one, and error when Linear cannot be reached: the
  // WorkItemProvider conformance suite (conformance/linear.test.ts).
  it('never shows a refused token; an API call with it says how to connect', async () => {
    const wrong = provider({ token: 'lin_oauth_revoked_token' });
    const status = await wrong.checkConnection();
    expect(JSON.stringify(status)).not.toContain('lin_oauth_revoked_token');
    const error = await wrong.getWorkItem('ENG-42').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotAuthorisedError);
    expect((error as Error).message).toContain('factory connect linear');
  });

  it('scrubs the token from an error a server echoes back', async () => {
    server.failNext('FactoryIssue', {
      status: 400,
      body: { errors: [{ message: `bad header: Bearer ${TOKEN}` }] },
    });
    const error = (await provider()
      .getWorkItem('ENG-42')
      .catch((caught: unknown) => caught)) as Error;
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain(TOKEN);
  });

  // Signing in to Linear (connectWithOAuth with the registry's spec) is specified in provider-connect.test.ts.
});

describe('config', () => {
  it.each([
    [{ readyStates: [] }, 'readyStates'],
    [{ requiredLabels: [''] }, 'requiredLabels.0'],
    [{ writeback: { done: {} } }, 'writeback.done'],
    [{ writeback: { done: { type: 'finished' } } }, 'writeback.done.type'],
    [{ stateNames: { Review: 'reviewing' } }, 'stateNames.Review'],
    [{ apiUrl: 'not a url' }, 'apiUrl'],
    [{ teamId: 'abc' }, 'teamId'],
    [{ markers: { inProgress: '' } }, 'markers.inProgress'],
    [{ markers: { inprogress: 'x' } }, 'markers'],
    [{ writeback: { needsReview: { type: 'reviewing' } } }, 'writeback.needsReview.type'],
  ])('rejects %j naming the field', (config, field) => {
    expect(() => new LinearWorkItemProvider(config as LinearProviderOptions)).toThrow(
      new RegExp(`invalid Linear provider config: .*${field.replace('.', '\\.')}`),
    );
  });
});
