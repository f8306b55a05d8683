import { WebhookError } from '@software-factory/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitlabOutputTarget, type GitlabTargetOptions } from '../src/gitlab/output-target.ts';
import { GitlabWebhookSource } from '../src/gitlab/webhook-source.ts';
import { fixtureJson, fixtureText } from './support/fixtures.ts';
import { GitlabServer, mergeRequestJson } from './support/gitlab-server.ts';
import { recordingSleep } from './support/loopback.ts';
import { incoming } from './support/webhooks.ts';

const SECRET = 'gitlab-secret-token';
const TOKEN = 'glpat-test-token';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const source = new GitlabWebhookSource({ secret: SECRET });
let server: GitlabServer;

beforeAll(async () => {
  server = await new GitlabServer().start();
});
afterAll(() => server.stop());
beforeEach(() => {
  server.mergeRequests.clear();
  server.requests.length = 0;
  server.addMergeRequest(
    'acme/app',
    mergeRequestJson({ iid: 3, state: 'opened', draft: false, updated_at: '2026-01-01T11:00:00.000Z' }),
  );
  server.addMergeRequest(
    'acme/app',
    mergeRequestJson({ iid: 2, state: 'closed', updated_at: '2025-12-30T10:00:00.000Z' }),
  );
});

function target(options: Partial<GitlabTargetOptions> = {}) {
  const recorder = recordingSleep();
  const gitlab = new GitlabOutputTarget({
    baseUrl: server.url,
    token: TOKEN,
    retry: { sleep: recorder.sleep, random: () => 0.5 },
    ...options,
  });
  return Object.assign(gitlab, { waits: recorder.waits });
}

function hook(body: string, headers: Record<string, string> = {}) {
  return incoming(
    body,
    {
      'x-gitlab-token': SECRET,
      'x-gitlab-event': 'Merge Request Hook',
      'idempotency-key': 'gl-1',
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

describe('X-Gitlab-Token', () => {
  // The right token accepted, a missing or different one refused: the WebhookSource conformance suite
  // (conformance/gitlab.test.ts).
  it('refuses to be built without a secret', () => {
    expect(() => new GitlabWebhookSource({ secret: '' })).toThrow('secret: a secret token is required');
  });
});

describe('merge request webhooks', () => {
  it('open (go-gitlab’s payload, as GitLab documents it) → output.changed, ready', async () => {
    const result = await source.interpret(hook(fixtureText('gitlab/merge_request.go-gitlab.json')));
    expect(result.deliveryId).toBe('gl-1');
    expect(result.events).toEqual([
      {
        type: 'output.changed',
        output: {
          id: 'gitlabhq/gitlab-test!1',
          url: 'http://example.com/diaspora/merge_requests/1',
          state: 'ready',
          branch: 'ms-viewport',
          title: 'MS-Viewport',
          updatedAt: '2013-12-03T17:23:34.000Z',
        },
      },
    ]);
  });

  it.each([
    [{ draft: true }, 'update', 'draft'],
    [{ work_in_progress: true }, 'update', 'draft'],
    [{ state: 'merged' }, 'merge', 'merged'],
    [{ state: 'closed' }, 'close', 'closed'],
    [{ state: 'locked' }, 'update', 'closed'],
  ])('%j (%s, derived from the payload) → %s', async (fields, action, state) => {
    const payload = fixtureJson('gitlab/merge_request.go-gitlab.json') as {
      object_attributes: Record<string, unknown>;
    };
    Object.assign(payload.object_attributes, fields, { action, updated_at: '2013-12-04 09:00:00 UTC' });
    const [event] = (await source.interpret(hook(JSON.stringify(payload)))).events;
    expect(event).toMatchObject({ output: { state, updatedAt: '2013-12-04T09:00:00.000Z' } });
  });

  it('ignores approvals and other events with a reason; falls back to X-Gitlab-Event-UUID for the delivery id', async () => {
    const payload = fixtureJson('gitlab/merge_request.go-gitlab.json') as {
      object_attributes: Record<string, unknown>;
    };
    payload.object_attributes.action = 'approved';
    expect((await source.interpret(hook(JSON.stringify(payload)))).ignored).toBe(
      'merge request action "approved" does not change the output',
    );
    const push = await source.interpret(
      hook('{"object_kind":"push"}', {
        'x-gitlab-event': 'Push Hook',
        'idempotency-key': '',
        'x-gitlab-event-uuid': 'uuid-7',
      }),
    );
    expect(push).toEqual({
      deliveryId: 'uuid-7',
      events: [],
      ignored: 'GitLab Push Hook events are not handled',
    });
  });

  it('ignores a merge request from a fork: a stranger’s branch of the same name is never the agent’s output', async () => {
    const payload = fixtureJson('gitlab/merge_request.go-gitlab.json') as {
      object_attributes: Record<string, unknown>;
    };
    payload.object_attributes.source_project_id = 99;
    const result = await source.interpret(hook(JSON.stringify(payload)));
    expect(result.events).toEqual([]);
    expect(result.ignored).toBe(
      "merge request !1 comes from another project (a fork): never an agent's output",
    );
  });

  it('rejects a merge request payload without its attributes, and a delivery without X-Gitlab-Event', async () => {
    const bad = await rejection(source.interpret(hook('{"object_kind":"merge_request","project":{}}')));
    expect(bad.status).toBe(400);
    expect(bad.message).toContain('merge request payload is incomplete');
    expect(
      (await rejection(source.interpret(incoming('{}', { 'x-gitlab-token': SECRET }, NOW)))).message,
    ).toBe('missing X-Gitlab-Event header');
  });
});

describe('reading merge requests (REST API v4)', () => {
  it('reads one by group/project!iid, with the project path URL-encoded', async () => {
    expect(await target().getOutput('acme/app!3')).toEqual({
      id: 'acme/app!3',
      url: 'https://gitlab.com/acme/app/-/merge_requests/3',
      state: 'ready',
      branch: 'factory/tes-41',
      title: 'TES-41: export as JSON',
      body: 'Closes TES-41',
      updatedAt: '2026-01-01T11:00:00.000Z',
    });
    expect(server.requests.at(-1)).toBe('GET /api/v4/projects/acme%2Fapp/merge_requests/3');
    await expect(target().getOutput('acme#3')).rejects.toThrow('expected group/project!iid');
  });

  it('finds the open merge request from a branch, preferring it to older closed ones', async () => {
    expect(await target().findOutput('acme/app', 'factory/tes-41')).toMatchObject({
      id: 'acme/app!3',
      state: 'ready',
    });
    expect(server.requests.at(-1)).toContain('source_branch=factory%2Ftes-41');
    expect(server.requests.at(-1)).toContain('state=all');
  });

  it('passes over a merge request from a fork on the same branch name', async () => {
    server.mergeRequests.clear();
    server.addMergeRequest('acme/app', mergeRequestJson({ iid: 7, source_project_id: 99 }));
    expect(await target().findOutput('acme/app', 'factory/tes-41')).toBeUndefined();
  });

  it('retries a 429 after its Retry-After and 5xx answers', async () => {
    const gitlab = target();
    server.failNext(
      '/api/v4/projects/acme%2Fapp/merge_requests/3',
      { status: 429, headers: { 'retry-after': '5' }, body: { message: 'Retry later' } },
      { status: 500, body: { message: '500 Internal Server Error' } },
    );
    expect(await gitlab.getOutput('acme/app!3')).toMatchObject({ state: 'ready' });
    expect(gitlab.waits).toEqual([5000, expect.any(Number)]);
  });
});

describe('writing a note on a merge request', () => {
  const posts = () => server.requests.filter((request) => request.startsWith('POST'));
  const notes = () => server.notes.get('acme/app!3') ?? [];

  it('does not send a note again after a 5xx, which may have landed: it looks, and leaves it to the next attempt', async () => {
    server.notes.clear();
    // A proxy in front of GitLab answers the first write 502 (the server's own fault queue goes by path,
    // which the look-up before the write shares).
    let failed = false;
    const badGateway: typeof fetch = async (input, init) => {
      if (new Request(input, init).method !== 'POST' || failed) return fetch(input, init);
      failed = true;
      return Response.json({ message: '502 Bad Gateway' }, { status: 502 });
    };
    const gitlab = target({ fetch: badGateway });
    const write = { idempotencyKey: 'tenant:item:1:note' };
    await expect(gitlab.postComment('acme/app!3', 'Round 1 is done.', write)).rejects.toThrow('502');
    expect(posts()).toEqual([]);
    expect(gitlab.waits).toEqual([]);

    await gitlab.postComment('acme/app!3', 'Round 1 is done.', write);
    expect(notes()).toHaveLength(1);
  });

  it('finds a note whose answer was lost after it landed, instead of writing it twice', async () => {
    server.notes.clear();
    // GitLab takes the note, and the connection drops before its answer arrives.
    const losingAnswers: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (new Request(input, init).method === 'POST') throw new TypeError('fetch failed: other side closed');
      return response;
    };
    await target({ fetch: losingAnswers }).postComment('acme/app!3', 'Round 1 is done.', {
      idempotencyKey: 'tenant:item:1:note',
    });
    expect(posts()).toHaveLength(1);
    expect(notes()).toEqual([expect.objectContaining({ body: expect.stringContaining('Round 1 is done.') })]);
  });
});

describe('connection', () => {
  it('an access token: connected as its user with the scopes it reports; read_api alone cannot write the round notes', async () => {
    expect(await target().checkConnection()).toEqual({
      state: 'connected',
      identity: 'factory-bot',
      grantedScopes: ['api'],
    });
    server.tokens.set('glpat-read', { kind: 'personal', username: 'factory-bot', scopes: ['read_api'] });
    expect(await target({ token: 'glpat-read' }).checkConnection()).toMatchObject({
      state: 'missing-scopes',
      missing: ['api'],
    });
    server.tokens.set('glpat-repo-only', {
      kind: 'personal',
      username: 'factory-bot',
      scopes: ['read_repository'],
    });
    expect(await target({ token: 'glpat-repo-only' }).checkConnection()).toMatchObject({
      state: 'missing-scopes',
      missing: ['api'],
    });
  });

  it('an OAuth token (no personal_access_tokens/self): the scopes of its stored grant', async () => {
    server.tokens.set('gl-oauth', { kind: 'oauth', username: 'factory-bot', scopes: [] });
    const oauth = target({ token: async () => ({ accessToken: 'gl-oauth', scopes: ['read_user'] }) });
    expect(await oauth.checkConnection()).toMatchObject({ state: 'missing-scopes', missing: ['api'] });
  });

  // needs-auth without a token or with a refused one, and error when GitLab cannot be reached: the
  // OutputTarget conformance suite (conformance/gitlab.test.ts).
  it('says how to connect when the token is refused, and never shows it', async () => {
    const status = await target({ token: 'glpat-revoked' }).checkConnection();
    expect(JSON.stringify(status)).toContain('factory connect gitlab');
    expect(JSON.stringify(status)).not.toContain('glpat-revoked');
  });

  it.each([
    [{ baseUrl: 'gitlab.com' }, 'baseUrl'],
    [{ provider: '' }, 'provider'],
    [{ group: 'acme' }, 'group'],
  ])('rejects config %j naming the field', (config, field) => {
    expect(() => target(config as Partial<GitlabTargetOptions>)).toThrow(
      new RegExp(`invalid GitLab output target config: .*${field}`),
    );
  });
});
