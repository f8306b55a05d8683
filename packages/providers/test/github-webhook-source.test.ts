import { Webhooks } from '@octokit/webhooks';
import { WebhookError } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { GithubWebhookSource } from '../src/github/webhook-source.ts';
import { githubSignature, pullRequestExample, pullRequestExamples } from './support/fixtures.ts';
import { incoming } from './support/webhooks.ts';

const SECRET = 'gh-webhook-secret';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const source = new GithubWebhookSource({ secret: SECRET });

function delivery(event: string, payload: unknown, id = '72d3162e-cc78-11e3-81ab-4c9367dc0958') {
  const body = JSON.stringify(payload);
  return incoming(
    body,
    {
      'x-github-event': event,
      'x-github-delivery': id,
      'x-hub-signature-256': githubSignature(SECRET, body),
    },
    NOW,
  );
}

async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

describe('X-Hub-Signature-256', () => {
  // GitHub docs, "Validating webhook deliveries" → "Testing the webhook payload validation".
  const docs = new GithubWebhookSource({ secret: "It's a Secret to Everybody" });
  const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it("verifies GitHub's documented test vector", async () => {
    await expect(
      docs.verify(incoming('Hello, World!', { 'x-hub-signature-256': header }, NOW)),
    ).resolves.toBeUndefined();
  });

  it('agrees with the signatures @octokit/webhooks computes', async () => {
    const body = JSON.stringify(pullRequestExample('opened'));
    const signature = await new Webhooks({ secret: SECRET }).sign(body);
    await expect(
      source.verify(incoming(body, { 'x-hub-signature-256': signature }, NOW)),
    ).resolves.toBeUndefined();
  });

  it('names a verified delivery by its body, with the checked signature as the body digest', async () => {
    const request = delivery('pull_request', pullRequestExample('opened'));
    await source.verify(request);
    const signature = request.headers.get('x-hub-signature-256') ?? '';
    expect(source.identify(request)).toEqual({
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      recognisedBy: 'body',
      bodyDigest: signature.slice('sha256='.length),
    });
  });

  // Without the header, with another secret, or over another body: the WebhookSource conformance suite
  // (conformance/github.test.ts).
  it('fails with the SHA-1 form only', async () => {
    expect(
      (await rejection(source.verify(incoming('{}', { 'x-hub-signature-256': 'sha1=abc' }, NOW)))).message,
    ).toContain('sha256=');
  });
});

describe('pull_request webhooks', () => {
  it.each([
    ['opened', 'ready'],
    ['reopened', 'ready'],
    ['ready_for_review', 'ready'],
    ['converted_to_draft', 'draft'],
    ['synchronize', 'ready'],
    ['closed', 'closed'],
  ])('%s (real example) → output.changed, state %s', async (action, state) => {
    const example = pullRequestExample(action);
    const result = await source.interpret(delivery('pull_request', example));
    expect(result.deliveryId).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(result.events).toEqual([
      {
        type: 'output.changed',
        output: {
          id: 'Codertocat/Hello-World#2',
          url: 'https://github.com/Codertocat/Hello-World/pull/2',
          state,
          branch: 'changes',
          title: 'Update the README with new information.',
          body: 'This is a pretty simple change that we need to pull into master.',
          updatedAt: example.pull_request.updated_at,
        },
      },
    ]);
  });

  it('closed with merge → merged (derived from the closed example: merged true, merged_at set)', async () => {
    const example = pullRequestExample('closed');
    Object.assign(example.pull_request, { merged: true, merged_at: '2019-05-15T15:21:18Z' });
    const [event] = (await source.interpret(delivery('pull_request', example))).events;
    expect(event).toMatchObject({ output: { state: 'merged' } });
  });

  it('edited → output.changed with the new title (derived from the opened example)', async () => {
    const example = pullRequestExample('opened');
    Object.assign(example, { action: 'edited', changes: { title: { from: 'Update the README' } } });
    Object.assign(example.pull_request, { title: 'ENG-7: Update the README with new information.' });
    const [event] = (await source.interpret(delivery('pull_request', example))).events;
    expect(event).toMatchObject({
      output: { title: 'ENG-7: Update the README with new information.', state: 'ready' },
    });
  });

  it.each([
    ['a fork', { full_name: 'stranger/Hello-World' }],
    ['a deleted fork', null],
  ])(
    'ignores a pull request whose branch lives in %s: a stranger’s same-named branch is never the agent’s output',
    async (_, repo) => {
      const example = pullRequestExample('ready_for_review');
      Object.assign(example.pull_request, {
        head: { ...(example.pull_request.head as object), ref: 'factory/eng-7', repo },
      });
      const result = await source.interpret(delivery('pull_request', example));
      expect(result.events).toEqual([]);
      expect(result.ignored).toBe(
        "pull request #2 comes from a branch outside Codertocat/Hello-World (a fork): never an agent's output",
      );
    },
  );

  it('ignores actions that do not change the output, with a reason', async () => {
    const handled = new Set([
      'opened',
      'reopened',
      'ready_for_review',
      'converted_to_draft',
      'synchronize',
      'edited',
      'closed',
    ]);
    const others = pullRequestExamples().filter((example) => !handled.has(example.action));
    expect(others.length).toBeGreaterThan(5);
    for (const example of others) {
      const result = await source.interpret(delivery('pull_request', example));
      expect(result.events).toEqual([]);
      expect(result.ignored).toBe(`pull_request action "${example.action}" does not change the output`);
    }
  });

  it('rejects a pull_request payload without the pull request as malformed', async () => {
    const error = await rejection(
      source.interpret(delivery('pull_request', { action: 'opened', repository: { full_name: 'a/b' } })),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain('pull_request');
  });
});

describe('other webhooks', () => {
  it('answers ping with pong', async () => {
    const result = await source.interpret(
      delivery('ping', { zen: 'Keep it logically awesome.', hook_id: 1 }),
    );
    expect(result.reply).toEqual({ status: 200, contentType: 'application/json', body: '{"status":"pong"}' });
  });

  it('ignores other events with a reason, and needs X-GitHub-Event', async () => {
    expect((await source.interpret(delivery('issues', { action: 'opened' }))).ignored).toBe(
      'GitHub issues events are not handled',
    );
    const body = '{}';
    const error = await rejection(
      source.interpret(incoming(body, { 'x-hub-signature-256': githubSignature(SECRET, body) }, NOW)),
    );
    expect(error.status).toBe(400);
  });
});
