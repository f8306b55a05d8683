import { outputTargetConformance, webhookSourceConformance } from '@software-factory/sdk/testing';
import { GithubOutputTarget } from '../../src/github/output-target.ts';
import { GithubWebhookSource } from '../../src/github/webhook-source.ts';
import { githubHeaders, noWaiting, removableToken } from '../support/conformance.ts';
import { githubExample, githubExamples, githubSignature, pullRequestExample } from '../support/fixtures.ts';
import { GithubServer, type PullJson } from '../support/github-server.ts';

const SECRET = 'gh-webhook-secret';
const TOKEN = 'ghp_classic_test_token';

webhookSourceConformance('GithubWebhookSource', async () => ({
  source: new GithubWebhookSource({ secret: SECRET }),
  deliver({ delivery = 1, secret = SECRET, body }) {
    // Delivery n: the opened example, as the pull request stood n seconds later.
    const opened = pullRequestExample('opened');
    const updatedAt = new Date(Date.parse(String(opened.pull_request.updated_at)) + delivery * 1000);
    const payload = {
      ...opened,
      pull_request: { ...opened.pull_request, updated_at: updatedAt.toISOString() },
    };
    const sent = body ?? JSON.stringify(payload);
    return { body: sent, headers: githubHeaders('pull_request', delivery, githubSignature(secret, sent)) };
  },
  calls: () => 0,
}));

outputTargetConformance('GithubOutputTarget', async () => {
  const server = await new GithubServer().start();
  const pull = pullRequestExample('ready_for_review').pull_request as PullJson;
  server.addPull('Codertocat/Hello-World', pull);
  const token = removableToken(TOKEN);
  return {
    target: new GithubOutputTarget({ baseUrl: server.url, token: token.source, retry: noWaiting }),
    output: { id: 'Codertocat/Hello-World#2', repository: 'Codertocat/Hello-World', branch: 'changes' },
    absentId: 'Codertocat/Hello-World#99',
    comments: () => (server.comments.get('Codertocat/Hello-World#2') ?? []).map((comment) => comment.body),
    submitReview(at) {
      // The real example's review (by the repository's owner), asking for changes.
      const { review } = githubExample('pull_request_review', 'submitted') as unknown as {
        review: Record<string, unknown> & { id: number };
      };
      const listed = {
        ...review,
        state: 'CHANGES_REQUESTED',
        body: 'Add a test.',
        submitted_at: new Date(at).toISOString(),
      };
      server.reviews.set('Codertocat/Hello-World#2', [
        ...(server.reviews.get('Codertocat/Hello-World#2') ?? []),
        listed,
      ]);
      return `review:${review.id}`;
    },
    writeComment(at) {
      // The real example's comment (by the repository's owner), addressed to the agent.
      const { comment } = githubExample('issue_comment', 'created') as unknown as {
        comment: Record<string, unknown> & { id: number };
      };
      const time = new Date(at).toISOString();
      const written = {
        ...comment,
        body: '/factory handle the empty list too',
        created_at: time,
        updated_at: time,
      };
      server.comments.set('Codertocat/Hello-World#2', [
        ...(server.comments.get('Codertocat/Hello-World#2') ?? []),
        written,
      ]);
      return `comment:${comment.id}`;
    },
    failCheck(at) {
      // The real example's workflow run on pull request #2, failed on its head commit.
      type Run = Record<string, unknown> & { id: number; pull_requests: { head: object }[] };
      const { workflow_run: example } = (githubExamples('workflow_run') as { workflow_run?: Run }[]).find(
        (delivery) => (delivery.workflow_run?.pull_requests.length ?? 0) > 0,
      ) as { workflow_run: Run };
      const head = String(pull.head.sha);
      const time = new Date(at).toISOString();
      server.checksOf(head).workflow_run.push({
        ...example,
        status: 'completed',
        conclusion: 'failure',
        head_sha: head,
        run_attempt: 1,
        updated_at: time,
        pull_requests: example.pull_requests.map((listed) => ({
          ...listed,
          head: { ...listed.head, sha: head },
        })),
      });
      return `workflow_run:${example.id}:1`;
    },
    stopVendor: () => server.stop(),
    credential: { remove: token.remove, revoke: () => server.tokens.clear() },
    close: () => server.stop(),
  };
});
