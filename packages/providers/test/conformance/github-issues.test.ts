import { webhookSourceConformance, workItemProviderConformance } from '@software-factory/sdk/testing';
import { GithubIssuesWebhookSource } from '../../src/github-issues/webhook-source.ts';
import { githubHeaders } from '../support/conformance.ts';
import { githubExample, githubSignature } from '../support/fixtures.ts';
import {
  githubIssuesProvider,
  githubWithReadyIssue,
  openGithubIssuesTracker,
} from '../support/tracker-worlds.ts';

const SECRET = 'gh-issues-secret';

webhookSourceConformance('GithubIssuesWebhookSource', async () => {
  const server = await githubWithReadyIssue();
  return {
    source: new GithubIssuesWebhookSource({ secret: SECRET, provider: githubIssuesProvider(server) }),
    deliver({ delivery = 1, secret = SECRET, body }) {
      // Delivery n: the opened example, as the issue stood n seconds later.
      const opened = githubExample('issues', 'opened');
      const issue = opened.issue as Record<string, unknown>;
      const updatedAt = new Date(Date.parse(String(issue.updated_at)) + delivery * 1000);
      const sent =
        body ?? JSON.stringify({ ...opened, issue: { ...issue, updated_at: updatedAt.toISOString() } });
      return { body: sent, headers: githubHeaders('issues', delivery, githubSignature(secret, sent)) };
    },
    calls: () => server.requests.length,
    close: () => server.stop(),
  };
});

workItemProviderConformance('GithubIssuesWorkItemProvider', openGithubIssuesTracker);
