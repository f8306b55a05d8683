import { WebhookError } from '@software-factory/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GithubFeedbackConfig, githubFeedbackConfigSchema } from '../src/github/feedback-config.ts';
import { GithubFeedback } from '../src/github/feedback-events.ts';
import { githubFeedbackReads } from '../src/github/feedback-reader.ts';
import { GITHUB_COMMENT_MARKER } from '../src/github/issue-comments.ts';
import { GithubOutputTarget } from '../src/github/output-target.ts';
import { GithubWebhookSource } from '../src/github/webhook-source.ts';
import { githubExample, githubExamples, githubSignature, pullRequestExample } from './support/fixtures.ts';
import { GithubServer, type PullJson } from './support/github-server.ts';
import { incoming } from './support/webhooks.ts';

const SECRET = 'gh-webhook-secret';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const REPOSITORY = 'Codertocat/Hello-World';
/** The review of the real `pull_request_review` example, which its `pull_request_review_comment` examples belong to. */
const REVIEW_ID = 237895671;
/** The head commit of pull request #2 in the real examples. */
const HEAD = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';

let github: GithubServer;
let target: GithubOutputTarget;
beforeAll(async () => {
  github = await new GithubServer().start();
  target = new GithubOutputTarget({
    baseUrl: github.url,
    token: 'ghp_classic_test_token',
    retry: { sleep: async () => {}, maxAttempts: 1 },
  });
});
afterAll(() => github.stop());
beforeEach(() => {
  github.pulls.clear();
  github.reviewComments.clear();
  github.reviews.clear();
  github.comments.clear();
  github.checks.clear();
  github.requests.length = 0;
  github.addPull(REPOSITORY, pullRequestExample('opened').pull_request as PullJson);
});

function source(config: GithubFeedbackConfig = {}) {
  const feedback = new GithubFeedback({ ...config, reads: githubFeedbackReads(target.github) });
  return new GithubWebhookSource({ secret: SECRET, feedback });
}

function delivery(event: string, payload: unknown) {
  const body = JSON.stringify(payload);
  return incoming(
    body,
    {
      'x-github-event': event,
      'x-github-delivery': crypto.randomUUID(),
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

/** The real example of a submitted review, in `state` with `body`. */
function review(state: string, body: string | null = 'Please add a test for the empty export.') {
  const example = githubExample('pull_request_review', 'submitted') as unknown as Record<string, unknown> & {
    review: Record<string, unknown>;
  };
  Object.assign(example.review, { state, body });
  return example;
}

/** The real example's remark on README.md line 265, as the REST API lists a review's remarks. */
function remark(overrides: Record<string, unknown> = {}) {
  const example = githubExamples('pull_request_review_comment')[1] as unknown as {
    comment: Record<string, unknown>;
  };
  return { ...example.comment, ...overrides };
}

const PR_OUTPUT = {
  id: `${REPOSITORY}#2`,
  url: 'https://github.com/Codertocat/Hello-World/pull/2',
  branch: 'changes',
  title: 'Update the README with new information.',
};

describe('pull_request_review → a review, its remarks read once through the REST API', () => {
  it('changes requested (the real example, state changes_requested) → review with the body and its remarks, file and line', async () => {
    github.reviewComments.set(`${REPOSITORY}#2/${REVIEW_ID}`, [remark()]);

    const result = await source().interpret(delivery('pull_request_review', review('changes_requested')));

    expect(result.events).toEqual([
      {
        type: 'output.feedback',
        output: PR_OUTPUT,
        feedback: {
          kind: 'review',
          id: `review:${REVIEW_ID}`,
          author: { id: 'Codertocat', trusted: true, reason: 'author_association OWNER' },
          verdict: 'changes-requested',
          body: 'Please add a test for the empty export.',
          comments: [
            {
              body: 'Maybe you should use more emoji on this line.',
              path: 'README.md',
              line: 265,
              url: 'https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312630',
            },
          ],
          url: 'https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-237895671',
        },
      },
    ]);
    expect(github.requests).toEqual([
      `GET /repos/${REPOSITORY}/pulls/2/reviews/${REVIEW_ID}/comments?per_page=21`,
    ]);
  });

  it('commented with remarks only (the real example as delivered: body null) → a review with comments', async () => {
    github.reviewComments.set(`${REPOSITORY}#2/${REVIEW_ID}`, [remark()]);
    const example = githubExample('pull_request_review', 'submitted');

    const [event] = (await source().interpret(delivery('pull_request_review', example))).events;

    expect(event).toMatchObject({
      feedback: {
        kind: 'review',
        verdict: 'commented',
        body: '',
        comments: [{ path: 'README.md', line: 265 }],
      },
    });
  });

  it.each([
    ['approved', 'Looks good', /an approval by Codertocat is no feedback/],
    ['commented', null, /a review without a body or remarks/],
    ['dismissed', 'old', /state "dismissed" is no feedback/],
  ])('%s (body %s) → ignored', async (state, body, reason) => {
    const result = await source().interpret(delivery('pull_request_review', review(state, body)));
    expect(result.events).toEqual([]);
    expect(result.ignored).toMatch(reason);
  });

  it('a dismissed review (the real "dismissed" example) is no new feedback', async () => {
    const example = githubExamples('pull_request_review').find((e) => e.action === 'dismissed');
    const result = await source().interpret(delivery('pull_request_review', example));
    expect(result).toMatchObject({
      events: [],
      ignored: 'pull_request_review action "dismissed" is no new feedback',
    });
  });

  it('an untrusted reviewer is reported as such: the core ignores the review, saying why', async () => {
    const example = review('changes_requested');
    example.review.author_association = 'NONE';

    const [event] = (await source().interpret(delivery('pull_request_review', example))).events;

    expect(event).toMatchObject({
      feedback: {
        author: {
          id: 'Codertocat',
          trusted: false,
          reason:
            'author_association NONE is not one of OWNER, MEMBER, COLLABORATOR, and the login is not in trustedAuthors.users',
        },
      },
    });
  });

  it('trustedAuthors from the config: a listed login is trusted whatever its role; roles: [] trusts nobody else', async () => {
    const example = review('changes_requested');
    example.review.author_association = 'NONE';
    const listed = await source({ trustedAuthors: { roles: [], users: ['codertocat'] } }).interpret(
      delivery('pull_request_review', example),
    );
    expect(listed.events[0]).toMatchObject({ feedback: { author: { trusted: true } } });
    const owner = await source({ trustedAuthors: { roles: [] } }).interpret(
      delivery('pull_request_review', review('changes_requested')),
    );
    expect(owner.events[0]).toMatchObject({ feedback: { author: { trusted: false } } });
  });

  it('reviews by a bot or one of botLogins are no feedback', async () => {
    const result = await source({ botLogins: ['Codertocat'] }).interpret(
      delivery('pull_request_review', review('changes_requested')),
    );
    expect(result).toMatchObject({ events: [], ignored: 'reviews by bots or the factory are no feedback' });
  });

  it('keeps at most 20 remarks of 4,000 characters each, and says what it left out', async () => {
    const long = 'x'.repeat(5_000);
    github.reviewComments.set(
      `${REPOSITORY}#2/${REVIEW_ID}`,
      Array.from({ length: 25 }, (_, n) => remark({ id: n, body: long })),
    );

    const [event] = (
      await source().interpret(delivery('pull_request_review', review('changes_requested', long)))
    ).events;

    const feedback = event?.type === 'output.feedback' ? event.feedback : undefined;
    if (feedback?.kind !== 'review') throw new Error('expected a review');
    expect(feedback.comments).toHaveLength(20);
    for (const comment of feedback.comments) {
      expect(comment.body.length).toBeLessThan(4_100);
      expect(comment.body).toMatch(/\[… 1000 more characters not shown\]$/);
    }
    expect(feedback.body.length).toBeLessThan(4_100);
    expect(feedback.body).toContain('more characters not shown');
  });

  it('the remarks cannot be read (GitHub answers 502): the review still counts, saying so in its body', async () => {
    github.failNext(`/repos/${REPOSITORY}/pulls/2/reviews/${REVIEW_ID}/comments`, { status: 502 });

    const [event] = (await source().interpret(delivery('pull_request_review', review('changes_requested'))))
      .events;

    expect(event).toMatchObject({
      feedback: {
        kind: 'review',
        comments: [],
        body: expect.stringMatching(/^Please add a test[\s\S]*line remarks could not be read from GitHub/),
      },
    });
  });

  it('a review on a pull request from a fork is never feedback on an agent output', async () => {
    const example = review('changes_requested') as unknown as Record<string, unknown> & {
      pull_request: { head: Record<string, unknown> };
    };
    example.pull_request.head.repo = { full_name: 'stranger/Hello-World' };
    const result = await source().interpret(delivery('pull_request_review', example));
    expect(result).toMatchObject({ events: [], ignored: expect.stringMatching(/from a fork/) });
  });

  it('pull_request_review_comment deliveries (real examples) are read with their review, not one by one', async () => {
    for (const example of githubExamples('pull_request_review_comment')) {
      const result = await source().interpret(delivery('pull_request_review_comment', example));
      expect(result).toMatchObject({ events: [], ignored: expect.stringMatching(/read with their review/) });
    }
  });
});

/** The real `issue_comment` example, moved onto pull request #2 (as GitHub marks it: `issue.pull_request`). */
function comment(body: string, changes: Record<string, unknown> = {}) {
  const example = githubExample('issue_comment', 'created') as unknown as Record<string, unknown> & {
    issue: Record<string, unknown>;
    comment: Record<string, unknown>;
  };
  example.issue.number = 2;
  example.issue.pull_request = { url: `https://api.github.com/repos/${REPOSITORY}/pulls/2` };
  Object.assign(example.comment, { body, ...changes });
  return example;
}

describe('issue_comment on a pull request → a comment, when it is addressed to the agent', () => {
  it('"/factory …" → comment, the branch read from the pull request', async () => {
    const result = await source().interpret(delivery('issue_comment', comment('/factory please add a test')));

    expect(result.events).toEqual([
      {
        type: 'output.feedback',
        output: PR_OUTPUT,
        feedback: {
          kind: 'comment',
          id: 'comment:492700400',
          author: { id: 'Codertocat', trusted: true, reason: 'author_association OWNER' },
          body: '/factory please add a test',
          url: 'https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400',
        },
      },
    ]);
    expect(github.requests).toEqual([`GET /repos/${REPOSITORY}/pulls/2`]);
  });

  it('a mention of one of botLogins is addressed to the agent; a mention of a longer login is not', async () => {
    const configured = source({ botLogins: ['factory-bot'] });
    const mentioned = await configured.interpret(
      delivery('issue_comment', comment('@factory-bot the export breaks on empty input')),
    );
    expect(mentioned.events).toHaveLength(1);
    const other = await configured.interpret(delivery('issue_comment', comment('cc @factory-bot-two')));
    expect(other.events).toEqual([]);
  });

  it.each([
    [
      'a conversation between people',
      comment("You are totally right! I'll get this fixed right away."),
      /not addressed to the agent \(it starts with \/factory\)/,
    ],
    [
      "the factory's own round comment",
      comment(`Feedback round 1 …\n\n${GITHUB_COMMENT_MARKER} abc -->`),
      /the factory wrote this comment/,
    ],
    [
      'a bot',
      comment('/factory go', { user: { login: 'ci[bot]', id: 9, type: 'Bot' } }),
      /comments from bots/,
    ],
    ['an edit', { ...comment('/factory go'), action: 'edited' }, /action "edited" is no new feedback/],
  ])('%s → ignored', async (_, payload, reason) => {
    const result = await source().interpret(delivery('issue_comment', payload));
    expect(result.events).toEqual([]);
    expect(result.ignored).toMatch(reason);
  });

  it('a comment on an issue (the real example as delivered) is not feedback', async () => {
    const result = await source().interpret(
      delivery('issue_comment', githubExample('issue_comment', 'created')),
    );
    expect(result).toMatchObject({ events: [], ignored: 'a comment on an issue, not on a pull request' });
  });

  it('a custom commandPrefix replaces /factory', async () => {
    const custom = source({ commandPrefix: '!agent' });
    expect((await custom.interpret(delivery('issue_comment', comment('!agent fix it')))).events).toHaveLength(
      1,
    );
    expect((await custom.interpret(delivery('issue_comment', comment('/factory fix it')))).events).toEqual(
      [],
    );
  });
});

describe('check_run / check_suite / workflow_run → check-failed on the pull requests it failed on', () => {
  it('check_run completed with failure (the real example) → check-failed with its name and link', async () => {
    const result = await source({ checks: 'check_run' }).interpret(
      delivery('check_run', githubExample('check_run', 'completed')),
    );
    expect(result.events).toEqual([
      {
        type: 'output.feedback',
        output: {
          id: `${REPOSITORY}#2`,
          url: 'https://github.com/Codertocat/Hello-World/pull/2',
          branch: 'changes',
        },
        feedback: {
          kind: 'check-failed',
          id: 'check_run:128620228',
          name: 'Octocoders-linter',
          conclusion: 'failure',
          url: 'https://github.com/Codertocat/Hello-World/runs/128620228',
        },
      },
    ]);
  });

  it('check_run keeps the output title and summary, bounded', async () => {
    const example = githubExample('check_run', 'completed') as unknown as {
      check_run: Record<string, unknown>;
    };
    example.check_run.output = { title: '1 test failed', summary: 's'.repeat(5_000) };
    const [event] = (await source({ checks: 'check_run' }).interpret(delivery('check_run', example))).events;
    expect(event).toMatchObject({
      feedback: {
        summary: expect.stringMatching(/^1 test failed\n\nsss[\s\S]*more characters not shown\]$/),
      },
    });
  });

  it.each([
    ['success', /ended "success": not a failure/],
    ['neutral', /ended "neutral": not a failure/],
    ['skipped', /ended "skipped": not a failure/],
    ['cancelled', /ended "cancelled": not a failure/],
  ])('conclusion %s → ignored', async (conclusion, reason) => {
    const example = githubExample('check_run', 'completed') as unknown as {
      check_run: Record<string, unknown>;
    };
    example.check_run.conclusion = conclusion;
    const result = await source({ checks: 'check_run' }).interpret(delivery('check_run', example));
    expect(result.events).toEqual([]);
    expect(result.ignored).toMatch(reason);
  });

  it('timed_out counts as a failure', async () => {
    const example = githubExample('check_run', 'completed') as unknown as {
      check_run: Record<string, unknown>;
    };
    example.check_run.conclusion = 'timed_out';
    const [event] = (await source({ checks: 'check_run' }).interpret(delivery('check_run', example))).events;
    expect(event).toMatchObject({ feedback: { conclusion: 'timed_out' } });
  });

  it('a check of an older commit than the pull request head is ignored (the branch has moved on)', async () => {
    const example = githubExample('check_run', 'completed') as unknown as {
      check_run: { pull_requests: { head: Record<string, unknown> }[] };
    };
    (example.check_run.pull_requests[0] as { head: Record<string, unknown> }).head.sha = 'f'.repeat(40);
    const result = await source({ checks: 'check_run' }).interpret(delivery('check_run', example));
    expect(result).toMatchObject({
      events: [],
      ignored: expect.stringMatching(/#2 has moved on from ec26c3e/),
    });
  });

  it('a check event other than feedback.checks is ignored, so one failure is never counted twice', async () => {
    const result = await source().interpret(delivery('check_run', githubExample('check_run', 'completed')));
    expect(result).toMatchObject({
      events: [],
      ignored: 'check_run is not the check event the factory reads (feedback.checks: workflow_run)',
    });
  });

  it('check_suite completed (the real example, conclusion failure) → check-failed named by its app', async () => {
    const example = githubExample('check_suite', 'completed') as unknown as {
      check_suite: Record<string, unknown>;
    };
    example.check_suite.conclusion = 'failure';
    const [event] = (await source({ checks: 'check_suite' }).interpret(delivery('check_suite', example)))
      .events;
    expect(event).toMatchObject({
      output: { id: `${REPOSITORY}#2`, branch: 'changes' },
      feedback: {
        kind: 'check-failed',
        id: 'check_suite:118578147',
        name: 'octocoders-linter',
        conclusion: 'failure',
        url: 'https://github.com/Codertocat/Hello-World/commit/ec26c3e57ca3a959ca5aad62de7213c562f8c821/checks',
      },
    });
  });

  it("workflow_run that lists no pull request (the real example, failed) → the branch's open pull request is asked for", async () => {
    const example = githubExamples('workflow_run')[1] as unknown as { workflow_run: Record<string, unknown> };
    example.workflow_run.conclusion = 'failure';
    example.workflow_run.name = 'CI';
    const pull = structuredClone(pullRequestExample('opened').pull_request) as PullJson;
    Object.assign(pull, { number: 9, html_url: 'https://github.com/octo-org/octo-repo/pull/9' });
    pull.head = {
      ...pull.head,
      ref: 'master',
      label: 'octo-org:master',
      repo: { full_name: 'octo-org/octo-repo' },
    };
    (pull.head as Record<string, unknown>).sha = '3484a3fb816e0859fd6e1cea078d76385ff50625';
    github.addPull('octo-org/octo-repo', pull);

    const [event] = (await source().interpret(delivery('workflow_run', example))).events;

    expect(event).toMatchObject({
      output: {
        id: 'octo-org/octo-repo#9',
        url: 'https://github.com/octo-org/octo-repo/pull/9',
        branch: 'master',
      },
      feedback: {
        kind: 'check-failed',
        id: 'workflow_run:289782451:1',
        name: 'CI',
        conclusion: 'failure',
        summary: 'ci(action): update actions/setup-node digest to 8c91899',
        url: 'https://github.com/octo-org/octo-repo/actions/runs/289782451',
      },
    });
  });

  it('workflow_run on a branch without an open pull request → ignored, saying so', async () => {
    const example = githubExamples('workflow_run')[1] as unknown as { workflow_run: Record<string, unknown> };
    example.workflow_run.conclusion = 'failure';
    const result = await source().interpret(delivery('workflow_run', example));
    expect(result).toMatchObject({
      events: [],
      ignored: expect.stringMatching(/no open pull request has the branch master/),
    });
  });

  it('workflow_run requested (the real example) is not a finished check', async () => {
    const example = githubExamples('workflow_run').find((e) => e.action === 'requested');
    const result = await source().interpret(delivery('workflow_run', example));
    expect(result).toMatchObject({
      events: [],
      ignored: 'workflow_run action "requested" is not a finished check',
    });
  });
});

describe('pull_request synchronize → pushed, when a person (not the agent) pushed', () => {
  it("by the pull request's author (the real example: the agent opened it and pushes as itself) → output.changed only", async () => {
    const result = await source().interpret(delivery('pull_request', pullRequestExample('synchronize')));
    expect(result.events.map((event) => event.type)).toEqual(['output.changed']);
  });

  it('by someone else → output.changed, then pushed (trusted: they can write to the branch)', async () => {
    const example = pullRequestExample('synchronize');
    example.sender = { login: 'mona', id: 2, type: 'User' };
    const result = await source().interpret(delivery('pull_request', example));
    expect(result.events).toEqual([
      expect.objectContaining({ type: 'output.changed' }),
      {
        type: 'output.feedback',
        output: PR_OUTPUT,
        feedback: {
          kind: 'pushed',
          id: 'push:ec26c3e57ca3a959ca5aad62de7213c562f8c821',
          author: { id: 'mona', trusted: true, reason: 'pushed to the branch (write access)' },
        },
      },
    ]);
  });

  it.each([
    ['an App or Actions (sender type Bot)', { login: 'github-actions[bot]', id: 41898282, type: 'Bot' }, {}],
    ['one of botLogins', { login: 'factory-bot', id: 3, type: 'User' }, { botLogins: ['factory-bot'] }],
  ])('by %s → output.changed only', async (_, sender, config) => {
    const example = pullRequestExample('synchronize');
    example.sender = sender;
    const result = await source(config).interpret(delivery('pull_request', example));
    expect(result.events.map((event) => event.type)).toEqual(['output.changed']);
  });

  it('without feedback configured, the source reads pull_request as before and ignores review events', async () => {
    const plain = new GithubWebhookSource({ secret: SECRET });
    const example = pullRequestExample('synchronize');
    example.sender = { login: 'mona', id: 2, type: 'User' };
    expect((await plain.interpret(delivery('pull_request', example))).events).toHaveLength(1);
    expect(await plain.interpret(delivery('pull_request_review', review('changes_requested')))).toMatchObject(
      {
        events: [],
        ignored: 'GitHub pull_request_review events are not handled',
      },
    );
  });
});

describe('bad payloads: 400 naming the missing fields, nothing read', () => {
  it.each([
    [
      'pull_request_review',
      () => ({ ...review('changes_requested'), review: { state: 'changes_requested' } }),
      /pull_request_review payload is incomplete: review\.id/,
    ],
    [
      'issue_comment',
      () => ({ action: 'created', repository: { full_name: REPOSITORY } }),
      /issue_comment payload is incomplete: issue: .*; comment: /,
    ],
    [
      'check_run',
      () => {
        const example = githubExample('check_run', 'completed') as unknown as {
          check_run: Record<string, unknown>;
        };
        delete example.check_run.pull_requests;
        return example;
      },
      /check_run payload is incomplete: check_run\.pull_requests/,
    ],
    [
      'workflow_run',
      () => ({ action: 'completed', repository: { full_name: REPOSITORY } }),
      /workflow_run payload is incomplete: workflow_run/,
    ],
  ])('%s', async (event, payload, message) => {
    const checks = event === 'check_run' ? 'check_run' : 'workflow_run';
    const error = await rejection(source({ checks }).interpret(delivery(event, payload())));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
    expect(github.requests).toEqual([]);
  });
});

describe('feedback config', () => {
  it("defaults: /factory, no bot logins, workflow_run, the comments channel's roles", () => {
    expect(githubFeedbackConfigSchema.parse({})).toEqual({
      botLogins: [],
      commandPrefix: '/factory',
      checks: 'workflow_run',
    });
  });

  it.each([
    [{ commandPrefix: 'two words' }, /feedback config: commandPrefix: expected one word/],
    [{ commandPrefix: '' }, /commandPrefix: expected one word/],
    [{ botLogins: ['not a login!'] }, /botLogins\.0: expected a GitHub login/],
    [{ checks: 'status' }, /checks: expected one of workflow_run, check_suite, check_run/],
    [{ trustedAuthors: { roles: ['ADMIN'] } }, /trustedAuthors\.roles\.0: expected one of OWNER/],
    [{ maxRounds: 3 }, /maxRounds/],
  ])('%j → a clear error', (config, message) => {
    expect(
      () =>
        new GithubFeedback({
          ...(config as GithubFeedbackConfig),
          reads: githubFeedbackReads(target.github),
        }),
    ).toThrow(message);
  });
});

describe('the feedback a pull request has (reviews, comments), listed through the REST API (the check of an output waiting for review)', () => {
  const SINCE = Date.parse('2019-05-15T15:00:00Z');
  /** The pull request as `getOutput` read it just before: ready, waiting for review. */
  const PR_SNAPSHOT = { ...PR_OUTPUT, state: 'ready' as const };

  /** A comment's delivery's comment as `GET …/issues/2/comments` lists it: written at `at`, changed at `changed`. */
  function listedComment(delivered: { comment: Record<string, unknown> }, at: string, changed = at) {
    return { ...delivered.comment, created_at: at, updated_at: changed } as unknown as {
      id: number;
      body: string;
    };
  }

  /** The real example's review as `GET …/pulls/2/reviews` lists it: upper-case state, submitted at `at`. */
  function listed(id: number, state: string, at: string, overrides: Record<string, unknown> = {}) {
    const example = review(state.toLowerCase()).review;
    return { ...example, id, state, submitted_at: at, ...overrides };
  }

  it('gives a review asking for changes as its delivery would have: the same event, remarks and all', async () => {
    github.reviewComments.set(`${REPOSITORY}#2/${REVIEW_ID}`, [remark()]);
    github.reviews.set(`${REPOSITORY}#2`, [listed(REVIEW_ID, 'CHANGES_REQUESTED', '2019-05-15T15:20:38Z')]);

    const found = await target.feedbackSince(PR_SNAPSHOT, SINCE, new Set());

    const delivered = await source().interpret(delivery('pull_request_review', review('changes_requested')));
    expect(found).toEqual(delivered.events);
  });

  it('leaves out what starts nothing without reading its remarks: taken, older, approvals, bots and strangers', async () => {
    const at = '2019-05-15T15:20:38Z';
    github.reviews.set(`${REPOSITORY}#2`, [
      listed(1, 'CHANGES_REQUESTED', '2019-05-15T14:59:59Z'),
      listed(2, 'CHANGES_REQUESTED', at),
      listed(3, 'APPROVED', at),
      listed(4, 'CHANGES_REQUESTED', at, { user: { login: 'ci[bot]', id: 9, type: 'Bot' } }),
      listed(5, 'CHANGES_REQUESTED', at, { author_association: 'NONE', user: { login: 'drive-by', id: 7 } }),
      listed(6, 'DISMISSED', at),
      listed(7, 'CHANGES_REQUESTED', at),
    ]);

    const found = await target.feedbackSince(PR_SNAPSHOT, SINCE, new Set(['review:2']));

    expect(found.map((event) => event.feedback.id)).toEqual(['review:7']);
    expect(github.requests.filter((request) => request.includes('/reviews/'))).toEqual([
      `GET /repos/${REPOSITORY}/pulls/2/reviews/7/comments?per_page=21`,
    ]);
  });

  it('gives a comment addressed to the agent as its delivery would have, with the reviews, oldest first', async () => {
    github.reviews.set(`${REPOSITORY}#2`, [listed(REVIEW_ID, 'CHANGES_REQUESTED', '2019-05-15T15:20:38Z')]);
    github.comments.set(`${REPOSITORY}#2`, [
      listedComment(comment('/factory please add a test'), '2019-05-15T15:20:21Z'),
    ]);

    const found = await target.feedbackSince(PR_SNAPSHOT, SINCE, new Set());

    const commented = await source().interpret(
      delivery('issue_comment', comment('/factory please add a test')),
    );
    const reviewed = await source().interpret(delivery('pull_request_review', review('changes_requested')));
    expect(found).toEqual([...commented.events, ...reviewed.events]);
  });

  it('leaves out comments that start nothing: older, taken, its own, not for the agent, bots and strangers; asks only for those changed since', async () => {
    const at = '2019-05-15T15:20:21Z';
    github.comments.set(`${REPOSITORY}#2`, [
      listedComment(comment('/factory too early', { id: 1 }), '2019-05-15T14:59:59Z', at),
      listedComment(comment('/factory taken', { id: 2 }), at),
      listedComment(comment('/factory round 1 <!-- factory:comment abc -->', { id: 3 }), at),
      listedComment(comment('looks good to me', { id: 4 }), at),
      listedComment(
        comment('/factory from a bot', { id: 5, user: { login: 'ci[bot]', id: 9, type: 'Bot' } }),
        at,
      ),
      listedComment(
        comment('/factory from a stranger', {
          id: 6,
          author_association: 'NONE',
          user: { login: 'drive-by', id: 7 },
        }),
        at,
      ),
      listedComment(comment('/factory add a test', { id: 7 }), at),
    ]);

    const found = await target.feedbackSince(PR_SNAPSHOT, SINCE, new Set(['comment:2']));

    expect(found.map((event) => event.feedback.id)).toEqual(['comment:7']);
    expect(github.requests.filter((request) => request.includes('/issues/'))).toEqual([
      `GET /repos/${REPOSITORY}/issues/2/comments?since=2019-05-15T15%3A00%3A00Z&per_page=100&page=1`,
    ]);
  });

  it('reads every page: the newest reviews are on the last', async () => {
    const old = Array.from({ length: 150 }, (_, n) => listed(1000 + n, 'APPROVED', '2019-05-15T15:10:00Z'));
    github.reviews.set(`${REPOSITORY}#2`, [
      ...old,
      listed(2000, 'CHANGES_REQUESTED', '2019-05-15T15:20:38Z'),
    ]);

    const found = await target.feedbackSince(PR_SNAPSHOT, SINCE, new Set());

    expect(found.map((event) => event.feedback.id)).toEqual(['review:2000']);
    expect(github.requests.filter((request) => /\/reviews\?/.test(request))).toEqual([
      `GET /repos/${REPOSITORY}/pulls/2/reviews?per_page=100&page=1`,
      `GET /repos/${REPOSITORY}/pulls/2/reviews?per_page=100&page=2`,
    ]);
  });

  type CheckKind = 'check_run' | 'check_suite' | 'workflow_run';
  type Json = Record<string, unknown>;

  /**
   * The real example of a check kind, failed on pull request #2's head commit: the delivery, and the
   * check in it as the REST API lists it (a workflow run named after its workflow, as the API names it).
   */
  function failedCheck(kind: CheckKind): { delivered: Json; listed: Json } {
    if (kind === 'workflow_run') {
      const example = githubExamples('workflow_run').find(
        (delivery) =>
          ((delivery.workflow_run as { pull_requests?: unknown[] }).pull_requests ?? []).length > 0,
      ) as unknown as {
        workflow: { name: string };
        workflow_run: Json & { pull_requests: { head: object }[] };
      };
      const run = example.workflow_run;
      Object.assign(run, {
        name: example.workflow.name,
        conclusion: 'failure',
        head_sha: HEAD,
        pull_requests: run.pull_requests.map((pull) => ({ ...pull, head: { ...pull.head, sha: HEAD } })),
      });
      const repository = githubExample('check_run', 'completed').repository;
      return { delivered: { ...example, repository }, listed: run };
    }
    const example = githubExample(kind, 'completed') as unknown as Json & Record<CheckKind, Json>;
    example[kind].conclusion = 'failure';
    return { delivered: example, listed: example[kind] };
  }

  function readingChecks(checks: CheckKind) {
    return new GithubOutputTarget({
      baseUrl: github.url,
      token: 'ghp_classic_test_token',
      retry: { sleep: async () => {}, maxAttempts: 1 },
      feedback: { checks },
    });
  }

  it.each(['check_run', 'check_suite', 'workflow_run'] as const)(
    'gives a %s that failed on the head commit as its delivery would have',
    async (kind) => {
      const { delivered, listed: check } = failedCheck(kind);
      github.checksOf(HEAD)[kind].push(check);

      const found = await readingChecks(kind).feedbackSince(PR_SNAPSHOT, SINCE, new Set());

      const expected = await source({ checks: kind }).interpret(delivery(kind, delivered));
      expect(expected.events).toHaveLength(1);
      expect(found).toEqual(expected.events);
    },
  );

  it('leaves out checks that start nothing: passed, older, taken, or on another pull request; reads only the head commit', async () => {
    const failed = failedCheck('check_run').listed as Json & { pull_requests: object[] };
    const run = (id: number, changes: Json) => ({ ...failed, id, ...changes });
    const elsewhere = { pull_requests: [{ ...failed.pull_requests[0], number: 5 }] };
    github
      .checksOf(HEAD)
      .check_run.push(
        run(1, { conclusion: 'success' }),
        run(2, { completed_at: '2019-05-15T14:59:59Z' }),
        run(3, {}),
        run(4, elsewhere),
        run(5, { conclusion: 'cancelled' }),
        run(6, {}),
      );
    github.checksOf('f'.repeat(40)).check_run.push(run(7, { head_sha: 'f'.repeat(40) }));

    const found = await readingChecks('check_run').feedbackSince(
      PR_SNAPSHOT,
      SINCE,
      new Set(['check_run:3']),
    );

    expect(found.map((event) => event.feedback.id)).toEqual(['check_run:6']);
    expect(github.requests.filter((request) => /branches|check-runs/.test(request))).toEqual([
      `GET /repos/${REPOSITORY}/branches/changes`,
      `GET /repos/${REPOSITORY}/commits/${HEAD}/check-runs?status=completed&per_page=100&page=1`,
    ]);
  });

  it('asks nothing about checks when the branch is gone, and still lists the reviews', async () => {
    github.reviews.set(`${REPOSITORY}#2`, [listed(REVIEW_ID, 'CHANGES_REQUESTED', '2019-05-15T15:20:38Z')]);
    github.checksOf(HEAD).workflow_run.push(failedCheck('workflow_run').listed);

    const found = await target.feedbackSince(
      { ...PR_SNAPSHOT, branch: 'deleted-after-merge' },
      SINCE,
      new Set(),
    );

    expect(found.map((event) => event.feedback.id)).toEqual([`review:${REVIEW_ID}`]);
    expect(github.requests.filter((request) => /actions\/runs/.test(request))).toEqual([]);
  });

  it('has none for a pull request GitHub does not have', async () => {
    expect(await target.feedbackSince({ ...PR_SNAPSHOT, id: `${REPOSITORY}#99` }, SINCE, new Set())).toEqual(
      [],
    );
  });

  it('trusts whom the target’s feedback config trusts', async () => {
    const strict = new GithubOutputTarget({
      baseUrl: github.url,
      token: 'ghp_classic_test_token',
      retry: { sleep: async () => {}, maxAttempts: 1 },
      feedback: { trustedAuthors: { roles: [] } },
    });
    github.reviews.set(`${REPOSITORY}#2`, [listed(8, 'CHANGES_REQUESTED', '2019-05-15T15:20:38Z')]);

    expect(await strict.feedbackSince(PR_SNAPSHOT, SINCE, new Set())).toEqual([]);
    expect((await target.feedbackSince(PR_SNAPSHOT, SINCE, new Set())).length).toBe(1);
  });
});
