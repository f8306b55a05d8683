import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GithubWebhookSource, SlackWebhookSource } from '@software-factory/providers';
import { hmacSha256Hex } from '@software-factory/sdk';
import { FakeClock } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployInstance } from './support/deployment.ts';
import { asHttpApiEvent, asRestApiEvent } from './support/lambda-events.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';

// Published vectors: GitHub's "Validating webhook deliveries" and Slack's "Verifying requests from Slack".
const GITHUB_DOCS = {
  secret: "It's a Secret to Everybody",
  payload: 'Hello, World!',
  signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};
const slackVector = (
  JSON.parse(readFileSync(new URL('./fixtures/slack/signature-vectors.json', import.meta.url), 'utf8')) as {
    vectors: { signing_secret: string; headers: Record<string, string>; body: string }[];
  }
).vectors[0]!;
const slackFixture = (name: string) => readFileSync(new URL(`./fixtures/slack/${name}`, import.meta.url));

const require = createRequire(import.meta.url);
const githubExamples = require('@octokit/webhooks-examples/api.github.com/index.json') as {
  name: string;
  examples: { action?: string }[];
}[];
const readyForReview = githubExamples
  .find((webhook) => webhook.name === 'pull_request')
  ?.examples.find((example) => example.action === 'ready_for_review');

/** Slack's scheme: `v0=` hex HMAC-SHA256 over `v0:<timestamp>:<raw body>`. */
async function slackHeaders(body: Uint8Array, timestamp: number): Promise<Record<string, string>> {
  const base = Buffer.concat([Buffer.from(`v0:${timestamp}:`), body]);
  return {
    'Content-Type': 'application/json',
    'X-Slack-Request-Timestamp': String(timestamp),
    'X-Slack-Signature': `v0=${await hmacSha256Hex(slackVector.signing_secret, base)}`,
  };
}

const SLACK_TIME = 1_726_133_700; // when the captured thread reply was sent (its ts)
let dynamo: LocalDynamo;
let deployment: ReturnType<typeof deployInstance>;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  deployment = deployInstance({
    dynamo,
    tableName: await dynamo.createTable(),
    clock: new FakeClock(SLACK_TIME * 1000),
    tenants: [
      {
        id: 'acme',
        sources: [
          new GithubWebhookSource({ secret: GITHUB_DOCS.secret }),
          new SlackWebhookSource({
            signingSecret: slackVector.signing_secret,
            // The captured reply's author, trusted by id: this test has no Slack API to list members.
            trustedAuthors: { roles: [], users: ['W222'] },
          }),
        ],
      },
    ],
  });
});
afterAll(() => dynamo.close());

const json = (result: { body: string }) => JSON.parse(result.body) as Record<string, unknown>;

describe('GitHub, through the real GithubWebhookSource', () => {
  const docsVectorEvent = (payload: string, signature: string) =>
    asRestApiEvent({
      method: 'POST',
      path: '/t/acme/webhooks/github',
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'ping',
        'X-GitHub-Delivery': 'docs-vector',
        'X-Hub-Signature-256': signature,
      },
      body: Buffer.from(payload).toString('base64'),
      isBase64Encoded: true,
    });

  it("accepts the docs' signature vector in a base64 REST event: it fails only later, as a body that is not JSON", async () => {
    const result = await deployment.handlers.http(
      docsVectorEvent(GITHUB_DOCS.payload, GITHUB_DOCS.signature),
    );
    expect(result.statusCode).toBe(400);
    expect(String(json(result).error)).toMatch(/^malformed JSON/);
  });

  it('refuses the same vector with 401 once a byte of the payload changes', async () => {
    const result = await deployment.handlers.http(docsVectorEvent('Hello, World?', GITHUB_DOCS.signature));
    expect(result.statusCode).toBe(401);
    expect(json(result)).toEqual({ error: 'X-Hub-Signature-256 does not match the body' });
  });

  it('delivers a real pull_request ready_for_review webhook, base64 in an HTTP API event, as output.changed', async () => {
    expect(readyForReview).toBeDefined();
    const body = Buffer.from(JSON.stringify(readyForReview));
    const signature = `sha256=${await hmacSha256Hex(GITHUB_DOCS.secret, body)}`;
    const event = asHttpApiEvent({
      method: 'POST',
      path: '/t/acme/webhooks/github',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        'x-hub-signature-256': signature,
      },
      body: body.toString('base64'),
      isBase64Encoded: true,
    });
    const result = await deployment.handlers.http(event);
    expect(result.statusCode).toBe(200);
    // No work item of this tenant has that branch, so the core ignores it, having parsed and routed it.
    expect(json(result)).toMatchObject({
      status: 'processed',
      results: [{ event: 'output.changed', outcome: 'ignored' }],
    });
    expect(json(await deployment.handlers.http(event))).toMatchObject({ status: 'duplicate' });
  });
});

describe('Slack, through the real SlackWebhookSource', () => {
  it("signs like Slack's published vector (so the headers below are what Slack would send)", async () => {
    const base = `v0:${slackVector.headers['X-Slack-Request-Timestamp']}:${slackVector.body}`;
    expect(`v0=${await hmacSha256Hex(slackVector.signing_secret, base)}`).toBe(
      slackVector.headers['X-Slack-Signature'],
    );
  });

  it('delivers a captured thread reply in a REST event with multi-value headers as clarification.replied', async () => {
    const body = slackFixture('event_callback.message.thread_reply.channel.json');
    const headers = await slackHeaders(body, SLACK_TIME);
    const event = asRestApiEvent({
      method: 'POST',
      path: '/t/acme/webhooks/slack',
      headers,
      body: body.toString(),
    });
    event.multiValueHeaders = {
      ...event.multiValueHeaders,
      'X-Slack-Retry-Num': ['1'],
      Accept: ['*/*', 'text/plain'],
    };
    const result = await deployment.handlers.http(event);
    expect(result.statusCode).toBe(200);
    expect(json(result)).toMatchObject({
      status: 'processed',
      results: [{ event: 'clarification.replied', outcome: 'ignored' }],
    });
  });

  it("answers Slack's url_verification challenge, base64 in an HTTP API event", async () => {
    const body = slackFixture('url_verification.json');
    const event = asHttpApiEvent({
      method: 'POST',
      path: '/t/acme/webhooks/slack',
      headers: await slackHeaders(body, SLACK_TIME),
      body: body.toString('base64'),
      isBase64Encoded: true,
    });
    const result = await deployment.handlers.http(event);
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: false });
    expect(json(result)).toEqual({ challenge: JSON.parse(body.toString()).challenge });
  });

  it('refuses a reply signed five minutes and one second ago', async () => {
    const body = slackFixture('event_callback.message.thread_reply.channel.json');
    const event = asHttpApiEvent({
      method: 'POST',
      path: '/t/acme/webhooks/slack',
      headers: await slackHeaders(body, SLACK_TIME - 301),
      body: body.toString(),
    });
    expect((await deployment.handlers.http(event)).statusCode).toBe(401);
  });
});
