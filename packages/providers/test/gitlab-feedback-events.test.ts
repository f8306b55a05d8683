import { WebhookError } from '@software-factory/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitlabFeedback, type GitlabFeedbackConfig } from '../src/gitlab/feedback-events.ts';
import { GITLAB_NOTE_MARKER } from '../src/gitlab/note-marker.ts';
import { GitlabOutputTarget } from '../src/gitlab/output-target.ts';
import { GitlabWebhookSource } from '../src/gitlab/webhook-source.ts';
import { fixtureJson } from './support/fixtures.ts';
import { GitlabServer, mergeRequestJson } from './support/gitlab-server.ts';
import { incoming } from './support/webhooks.ts';

const SECRET = 'gitlab-secret-token';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');

type Json = Record<string, unknown>;

function source(config: GitlabFeedbackConfig = {}) {
  return new GitlabWebhookSource({ secret: SECRET, feedback: new GitlabFeedback(config) });
}

function delivery(event: string, payload: unknown) {
  return incoming(
    JSON.stringify(payload),
    { 'x-gitlab-event': event, 'x-gitlab-token': SECRET, 'idempotency-key': crypto.randomUUID() },
    NOW,
  );
}

async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

/** GitLab's documented pipeline example; it succeeded, with one failed job: `status` set as given. */
function pipeline(status: string): Json & { object_attributes: Json; merge_request: Json | null } {
  const payload = fixtureJson('gitlab/pipeline.gitlab-docs.json') as Json & {
    object_attributes: Json;
    merge_request: Json | null;
  };
  payload.object_attributes.status = status;
  return payload;
}

/** GitLab's documented "Comment on a merge request" example, with `note` as the text. */
function note(text: string): Json & { object_attributes: Json; merge_request: Json; user: Json } {
  const payload = fixtureJson('gitlab/note.merge_request.gitlab-docs.json') as Json & {
    object_attributes: Json;
    merge_request: Json;
    user: Json;
  };
  payload.object_attributes.note = text;
  return payload;
}

describe('Pipeline Hook → check-failed on the merge request', () => {
  it('failed (the documented example, status failed) → check-failed naming the failed job, its stage and reason', async () => {
    const result = await source().interpret(delivery('Pipeline Hook', pipeline('failed')));
    expect(result.events).toEqual([
      {
        type: 'output.feedback',
        output: {
          id: 'gitlab-org/gitlab-test!1',
          url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/merge_requests/1',
          branch: 'test',
          title: 'Test',
        },
        feedback: {
          kind: 'check-failed',
          id: 'pipeline:31',
          name: 'pipeline #31: test-build',
          conclusion: 'failed',
          summary: 'test-build (test): script_failure',
          url: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31',
        },
      },
    ]);
  });

  it.each(['success', 'running', 'canceled', 'skipped'])('%s → ignored', async (status) => {
    const result = await source().interpret(delivery('Pipeline Hook', pipeline(status)));
    expect(result).toMatchObject({ events: [], ignored: `pipeline #31 is ${status}: not a failure` });
  });

  it('a branch pipeline (merge_request null) names no merge request → ignored, saying so', async () => {
    const payload = pipeline('failed');
    payload.merge_request = null;
    const result = await source().interpret(delivery('Pipeline Hook', payload));
    expect(result).toMatchObject({ events: [], ignored: expect.stringMatching(/names no merge request/) });
  });

  it('a merge request from a fork is never an agent output', async () => {
    const payload = pipeline('failed');
    (payload.merge_request as Json).source_project_id = 99;
    const result = await source().interpret(delivery('Pipeline Hook', payload));
    expect(result).toMatchObject({ events: [], ignored: expect.stringMatching(/from a fork/) });
  });

  it('missing fields → 400 naming them', async () => {
    const payload = pipeline('failed');
    delete payload.object_attributes.id;
    const error = await rejection(source().interpret(delivery('Pipeline Hook', payload)));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/pipeline payload is incomplete: object_attributes\.id/);
  });
});

describe('Note Hook on a merge request → comment, when addressed to the agent by a listed user', () => {
  it('"/factory …" by a listed user → a trusted comment', async () => {
    const result = await source({ trustedAuthors: { users: ['root'] } }).interpret(
      delivery('Note Hook', note('/factory This MR needs work.')),
    );
    expect(result.events).toEqual([
      {
        type: 'output.feedback',
        output: {
          id: 'gitlab-org/gitlab-test!1',
          url: 'http://example.com/gitlab-org/gitlab-test/-/merge_requests/1',
          branch: 'master',
          title: 'Tempora et eos debitis quae laborum et.',
        },
        feedback: {
          kind: 'comment',
          id: 'note:1244',
          author: {
            id: 'root',
            name: 'Administrator',
            trusted: true,
            reason: 'root is listed in feedback.trustedAuthors.users',
          },
          body: '/factory This MR needs work.',
          url: 'http://example.com/gitlab-org/gitlab-test/merge_requests/1#note_1244',
        },
      },
    ]);
  });

  it('without trustedAuthors every note is reported untrusted (GitLab sends no role), and the core ignores it', async () => {
    const [event] = (await source().interpret(delivery('Note Hook', note('/factory fix it')))).events;
    expect(event).toMatchObject({
      feedback: {
        author: { trusted: false, reason: expect.stringMatching(/does not give the author's role/) },
      },
    });
  });

  it.each([
    [
      'the documented note as written (a conversation)',
      () => note('This MR needs work.'),
      /not addressed to the agent/,
    ],
    [
      'a note on an issue',
      () => ({
        ...note('/factory x'),
        object_attributes: { ...note('x').object_attributes, note: '/factory x', noteable_type: 'Issue' },
      }),
      /a note on a Issue/,
    ],
    [
      'an edit',
      () => ({
        ...note('/factory x'),
        object_attributes: { ...note('/factory x').object_attributes, action: 'update' },
      }),
      /action "update"/,
    ],
    [
      'a system note',
      () => ({
        ...note('/factory x'),
        object_attributes: { ...note('/factory x').object_attributes, system: true },
      }),
      /system note/,
    ],
    [
      "the factory's own round note",
      () => note(`Feedback round 1\n\n${GITLAB_NOTE_MARKER} abc -->`),
      /the factory wrote this note/,
    ],
  ])('%s → ignored', async (_, payload, reason) => {
    const result = await source().interpret(delivery('Note Hook', payload()));
    expect(result.events).toEqual([]);
    expect(result.ignored).toMatch(reason);
  });

  it('a mention of one of botUsernames is addressed to the agent', async () => {
    const result = await source({ botUsernames: ['factory-bot'] }).interpret(
      delivery('Note Hook', note('@factory-bot please add a test')),
    );
    expect(result.events).toHaveLength(1);
  });
});

describe('Merge Request Hook update with new commits → pushed, when a person pushed', () => {
  function update(userId: number, username: string): Json {
    const payload = fixtureJson('gitlab/merge_request.go-gitlab.json') as Json & {
      object_attributes: Json;
    };
    Object.assign(payload.object_attributes, {
      action: 'update',
      oldrev: '0000000000000000000000000000000000000001',
      source_project_id: 14,
      target_project_id: 14,
    });
    return { ...payload, user: { ...(payload.user as Json), id: userId, username } };
  }

  it('by someone other than the merge request author or a bot → output.changed, then pushed', async () => {
    const result = await source().interpret(delivery('Merge Request Hook', update(1, 'root')));
    expect(result.events.map((event) => event.type)).toEqual(['output.changed', 'output.feedback']);
    expect(result.events[1]).toMatchObject({
      feedback: {
        kind: 'pushed',
        id: expect.stringMatching(/^push:[0-9a-f]{40}$/),
        author: { id: 'root', trusted: true },
      },
    });
  });

  it('by the merge request author (the agent) or one of botUsernames → output.changed only', async () => {
    const payload = update(1, 'root');
    const author = (payload.object_attributes as Json).author_id as number;
    expect(
      (await source().interpret(delivery('Merge Request Hook', update(author, 'agent')))).events,
    ).toHaveLength(1);
    expect(
      (await source({ botUsernames: ['root'] }).interpret(delivery('Merge Request Hook', payload))).events,
    ).toHaveLength(1);
  });
});

describe('GitLab feedback config', () => {
  it.each([
    [{ commandPrefix: 'two words' }, /GitLab feedback config: commandPrefix: expected one word/],
    [{ botUsernames: ['no spaces please'] }, /botUsernames\.0: expected a GitLab username/],
    [{ trustedAuthors: { roles: ['maintainer'] } }, /trustedAuthors/],
  ])('%j → a clear error', (config, message) => {
    expect(() => new GitlabFeedback(config as GitlabFeedbackConfig)).toThrow(message);
  });

  it('without feedback, the source ignores pipelines and notes as before', async () => {
    const plain = new GitlabWebhookSource({ secret: SECRET });
    expect(await plain.interpret(delivery('Pipeline Hook', pipeline('failed')))).toMatchObject({
      events: [],
      ignored: 'GitLab Pipeline Hook events are not handled',
    });
  });
});

describe('the notes a merge request has, listed through the REST API (the check of an output waiting for review)', () => {
  const PROJECT = 'gitlab-org/gitlab-test';
  const SINCE = Date.parse('2015-05-17T18:00:00Z');
  /** The documented note's merge request, as `getOutput` read it just before: ready, waiting for review. */
  const SNAPSHOT = {
    id: `${PROJECT}!1`,
    url: `http://example.com/${PROJECT}/merge_requests/1`,
    branch: 'master',
    title: 'Tempora et eos debitis quae laborum et.',
    state: 'ready' as const,
  };
  let server: GitlabServer;
  const target = (feedback: GitlabFeedbackConfig = { trustedAuthors: { users: ['root'] } }) =>
    new GitlabOutputTarget({ baseUrl: server.url, token: 'glpat-test-token', feedback });

  beforeEach(async () => {
    server = await new GitlabServer().start();
    server.addMergeRequest(PROJECT, mergeRequestJson({ iid: 1 }));
  });
  afterEach(() => server.stop());

  /** A Note Hook's note as `GET …/notes` lists it: its author as `author`, its text as `body`. */
  function listed(delivered: { object_attributes: Json; user: Json }, changes: Json = {}) {
    const { id, note, created_at, system } = delivered.object_attributes;
    const { id: userId, username, name } = delivered.user;
    return {
      id,
      body: note,
      author: { id: userId, username, name },
      created_at,
      system,
      noteable_type: 'MergeRequest',
      ...changes,
    } as { id: number; body: string };
  }

  it('gives a note addressed to the agent as its Note Hook would have', async () => {
    server.notes.set(`${PROJECT}!1`, [listed(note('/factory handle the empty list'))]);

    const found = await target().feedbackSince(SNAPSHOT, SINCE, new Set());

    const delivered = await source({ trustedAuthors: { users: ['root'] } }).interpret(
      delivery('Note Hook', note('/factory handle the empty list')),
    );
    expect(delivered.events).toEqual([expect.objectContaining({ feedback: found[0]?.feedback })]);
    expect(found[0]?.output).toEqual({
      id: SNAPSHOT.id,
      url: SNAPSHOT.url,
      branch: SNAPSHOT.branch,
      title: SNAPSHOT.title,
    });
  });

  it('leaves out notes that start nothing (older, taken, system, its own, not for the agent, strangers), oldest first', async () => {
    const at = { created_at: '2015-05-17T18:21:36.000Z' };
    server.notes.set(`${PROJECT}!1`, [
      listed(note('/factory too early'), { id: 1, created_at: '2015-05-17T17:59:59.000Z' }),
      listed(note('/factory taken'), { id: 2, ...at }),
      listed(note('/factory merged'), { id: 3, ...at, system: true }),
      listed(note(`/factory round 1 ${GITLAB_NOTE_MARKER} abc -->`), { id: 4, ...at }),
      listed(note('looks good'), { id: 5, ...at }),
      listed(note('/factory from a stranger'), {
        id: 6,
        ...at,
        author: { id: 99, username: 'drive-by', name: 'Drive By' },
      }),
      listed(note('/factory second'), { id: 8, created_at: '2015-05-17T18:30:00.000Z' }),
      listed(note('/factory first'), { id: 7, ...at }),
    ]);

    const found = await target().feedbackSince(SNAPSHOT, SINCE, new Set(['note:2']));

    expect(found.map((event) => event.feedback.id)).toEqual(['note:7', 'note:8']);
    expect(await target({}).feedbackSince(SNAPSHOT, SINCE, new Set())).toEqual([]);
  });

  it('reads newest first, and no further back than the check asks', async () => {
    const old = Array.from({ length: 250 }, (_, n) =>
      listed(note('/factory old'), { id: 100 + n, created_at: '2015-05-17T17:00:00.000Z' }),
    );
    server.notes.set(`${PROJECT}!1`, [...old, listed(note('/factory new'), { id: 999 })]);

    const found = await target().feedbackSince(SNAPSHOT, SINCE, new Set());

    expect(found.map((event) => event.feedback.id)).toEqual(['note:999']);
    expect(server.requests.filter((request) => request.includes('/notes'))).toEqual([
      `GET /api/v4/projects/${encodeURIComponent(PROJECT)}/merge_requests/1/notes?sort=desc&order_by=created_at&per_page=100&page=1`,
    ]);
  });

  /** The documented pipeline, failed, as `GET …/merge_requests/1/pipelines` lists it, and its jobs. */
  function listedPipeline(changes: Json = {}) {
    const delivered = pipeline('failed');
    const { id, url, finished_at } = delivered.object_attributes;
    server.jobs.set(`${PROJECT}#${id}`, delivered.builds as { status: string }[]);
    return { id, status: 'failed', web_url: url, updated_at: finished_at, ...changes } as { id: number };
  }

  it('gives the latest pipeline that failed as its Pipeline Hook would have, with the notes, oldest first', async () => {
    server.pipelines.set(`${PROJECT}!1`, [listedPipeline()]);
    server.notes.set(`${PROJECT}!1`, [
      listed(note('/factory handle the empty list'), { created_at: '2016-08-12T15:00:00Z' }),
    ]);

    const found = await target().feedbackSince(SNAPSHOT, Date.parse('2016-08-12T00:00:00Z'), new Set());

    const delivered = await source().interpret(delivery('Pipeline Hook', pipeline('failed')));
    expect(found.map((event) => event.feedback.id)).toEqual(['note:1244', 'pipeline:31']);
    expect(delivered.events).toEqual([expect.objectContaining({ feedback: found[1]?.feedback })]);
  });

  it('leaves out a pipeline that starts nothing: passed, older, taken, or an older one that failed; reads jobs only for a new failure', async () => {
    const since = Date.parse('2016-08-12T00:00:00Z');
    server.pipelines.set(`${PROJECT}!1`, [listedPipeline({ id: 30 }), listedPipeline({ status: 'success' })]);
    expect(await target().feedbackSince(SNAPSHOT, since, new Set())).toEqual([]);

    server.pipelines.set(`${PROJECT}!1`, [listedPipeline()]);
    expect(await target().feedbackSince(SNAPSHOT, since, new Set(['pipeline:31']))).toEqual([]);
    expect(await target().feedbackSince(SNAPSHOT, Date.parse('2016-08-13T00:00:00Z'), new Set())).toEqual([]);
    expect(server.requests.filter((request) => request.includes('/jobs'))).toEqual([]);

    expect(
      (await target().feedbackSince(SNAPSHOT, since, new Set())).map((event) => event.feedback.id),
    ).toEqual(['pipeline:31']);
    expect(server.requests.filter((request) => request.includes('/jobs'))).toEqual([
      `GET /api/v4/projects/${encodeURIComponent(PROJECT)}/pipelines/31/jobs?scope=failed&per_page=100`,
    ]);
  });

  it('has none for a merge request GitLab does not have', async () => {
    expect(await target().feedbackSince({ ...SNAPSHOT, id: `${PROJECT}!99` }, SINCE, new Set())).toEqual([]);
  });
});
