import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BENCH_CHANNEL, BENCH_REPOSITORY, threadTs } from './bench-tenant.ts';

/** A webhook delivery as a vendor sends it: path, headers (signed) and the exact body bytes. */
export interface SignedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

const fixtures = new URL('../test/fixtures/', import.meta.url);
const readJson = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(path, fixtures), 'utf8')) as Record<string, unknown>;

const LINEAR_ISSUE = readJson('linear/issue.create.korosuke613.json');
const SLACK_REPLY = readJson('slack/event_callback.message.thread_reply.channel.json');
const GITHUB_READY = pullRequestExample('ready_for_review');

export const CLEAR_DESCRIPTION =
  'The export command prints a table. Add a `--json` flag that prints the same rows as JSON.\n\n' +
  'Acceptance criteria:\n- `export --json` prints a JSON array\n- the table output is unchanged';
export const ANSWER =
  'The export command should print the same rows as JSON when --json is given; acceptance criteria: the table output stays unchanged.';

/** The Linear issue id of work item `n`, shaped like Linear's UUIDs. */
export function issueId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

export function issueKey(n: number): string {
  return `BEN-${n}`;
}

/**
 * Linear's `Issue` `create` delivery for an item labelled `factory` in Todo (ready): clear, or too vague
 * to start; or in Backlog (not ready, so the factory only looks at it).
 */
export function linearIssueCreated(
  n: number,
  options: {
    tenant: string;
    secret: string;
    now: number;
    vague?: boolean;
    backlog?: boolean;
    /** When the issue last changed (default `now`); a redelivery keeps it, the timestamp moves on. */
    updatedAt?: number;
    deliveryId?: string;
  },
): SignedRequest {
  const at = new Date(options.updatedAt ?? options.now).toISOString();
  const original = LINEAR_ISSUE.data as Record<string, unknown>;
  const team = { ...(original.team as object), key: 'BEN', name: 'Bench' };
  const payload = {
    ...LINEAR_ISSUE,
    createdAt: at,
    url: `https://linear.app/bench/issue/${issueKey(n)}`,
    data: {
      ...original,
      id: issueId(n),
      identifier: issueKey(n),
      number: n,
      title: options.vague ? 'Fix it' : 'Add a --json flag to the export command',
      description: options.vague ? 'It is broken.' : CLEAR_DESCRIPTION,
      createdAt: at,
      updatedAt: at,
      state: options.backlog
        ? { id: 'state-backlog', name: 'Backlog', color: '#bec2c8', type: 'backlog' }
        : { id: 'state-todo', name: 'Todo', color: '#e2e2e2', type: 'unstarted' },
      stateId: options.backlog ? 'state-backlog' : 'state-todo',
      team,
      labelIds: ['label-factory'],
      labels: [{ id: 'label-factory', name: 'factory' }],
    },
    webhookTimestamp: options.now,
  };
  const body = JSON.stringify(payload);
  return {
    path: `/t/${options.tenant}/webhooks/linear`,
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'linear-delivery': options.deliveryId ?? randomUUID(),
      'linear-event': 'Issue',
      'linear-signature': createHmac('sha256', options.secret).update(body).digest('hex'),
      'user-agent': 'Linear-Webhook',
    },
  };
}

/** Slack's Events API delivery of a person's reply in the thread the factory opened for item `n`. */
export function slackThreadReply(
  n: number,
  options: { tenant: string; secret: string; now: number; text?: string },
): SignedRequest {
  const event = SLACK_REPLY.event as Record<string, unknown>;
  const ts = `1767225700.${String(n).padStart(6, '0')}`;
  const payload = {
    ...SLACK_REPLY,
    event_id: `EvBENCH${n}`,
    event_time: Math.floor(options.now / 1000),
    event: {
      ...event,
      channel: BENCH_CHANNEL,
      thread_ts: threadTs(n),
      ts,
      event_ts: ts,
      text: options.text ?? ANSWER,
    },
  };
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(options.now / 1000));
  return {
    path: `/t/${options.tenant}/webhooks/slack`,
    body,
    headers: {
      'content-type': 'application/json',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': `v0=${createHmac('sha256', options.secret).update(`v0:${timestamp}:${body}`).digest('hex')}`,
    },
  };
}

interface GithubOptions {
  tenant: string;
  secret: string;
  branchPrefix?: string;
  deliveryId?: string;
}

/** GitHub's `pull_request` `ready_for_review` delivery for the branch the factory gave item `n`. */
export function githubPullRequestReady(n: number, options: GithubOptions): SignedRequest {
  const payload = { ...GITHUB_READY, number: n, pull_request: pullRequestOf(n, options, { draft: false }) };
  return githubDelivery(options.tenant, options.secret, JSON.stringify(payload), options.deliveryId);
}

/** GitHub's `pull_request` `opened` delivery of item `n`'s pull request, opened as a draft. */
export function githubPullRequestDraft(n: number, options: GithubOptions): SignedRequest {
  const payload = {
    ...GITHUB_READY,
    action: 'opened',
    number: n,
    pull_request: pullRequestOf(n, options, { draft: true }),
  };
  return githubDelivery(options.tenant, options.secret, JSON.stringify(payload), options.deliveryId);
}

/**
 * GitHub's `pull_request_review` `submitted` delivery: a member requests changes on item `n`'s pull
 * request (review `reviewId`).
 */
export function githubChangesRequested(
  n: number,
  options: GithubOptions & { reviewId: number },
): SignedRequest {
  const example = githubExample('pull_request_review', 'submitted');
  const review = example.review as Record<string, unknown>;
  const payload = {
    ...example,
    review: {
      ...review,
      id: options.reviewId,
      state: 'changes_requested',
      body: 'Please add a test for an export with no rows.',
      // A member who is not the pull request's author (the agent) reviews it.
      user: { ...(review.user as object), login: 'octo-reviewer', id: 583231, type: 'User' },
      author_association: 'MEMBER',
      html_url: `https://github.com/${BENCH_REPOSITORY}/pull/${n}#pullrequestreview-${options.reviewId}`,
    },
    pull_request: pullRequestOf(n, options, { draft: true }),
    sender: { ...(example.sender as object), login: 'octo-reviewer', id: 583231, type: 'User' },
  };
  return githubDelivery(
    options.tenant,
    options.secret,
    JSON.stringify(payload),
    options.deliveryId,
    'pull_request_review',
  );
}

function pullRequestOf(
  n: number,
  options: { branchPrefix?: string },
  state: { draft: boolean },
): Record<string, unknown> {
  const pull = GITHUB_READY.pull_request as Record<string, unknown>;
  return {
    ...pull,
    number: n,
    title: `${issueKey(n)}: Add a --json flag to the export command`,
    html_url: `https://github.com/${BENCH_REPOSITORY}/pull/${n}`,
    state: 'open',
    draft: state.draft,
    merged: false,
    merged_at: null,
    head: {
      ...(pull.head as object),
      ref: `${options.branchPrefix ?? 'factory/'}${issueKey(n).toLowerCase()}`,
    },
  };
}

/** Signs any body as GitHub signs a delivery of `event` (`pull_request` unless named). */
export function githubDelivery(
  tenant: string,
  secret: string,
  body: string,
  deliveryId: string = randomUUID(),
  event = 'pull_request',
): SignedRequest {
  return {
    path: `/t/${tenant}/webhooks/github`,
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      'user-agent': 'GitHub-Hookshot/044aadd',
    },
  };
}

/** A `pull_request` example payload GitHub documented, from `@octokit/webhooks-examples`. */
export function pullRequestExample(action: string): Record<string, unknown> {
  return githubExample('pull_request', action);
}

/** An example payload GitHub documented for `event` and `action`, from `@octokit/webhooks-examples`. */
export function githubExample(event: string, action: string): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  const index = require('@octokit/webhooks-examples/api.github.com/index.json') as {
    name: string;
    examples: (Record<string, unknown> & { action?: string })[];
  }[];
  const example = index
    .find((entry) => entry.name === event)
    ?.examples.find((candidate) => candidate.action === action);
  if (!example) throw new Error(`@octokit/webhooks-examples has no ${event} ${action} example`);
  return structuredClone(example);
}
