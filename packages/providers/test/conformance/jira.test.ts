import { webhookSourceConformance, workItemProviderConformance } from '@software-factory/sdk/testing';
import { JiraWebhookSource } from '../../src/jira/webhook-source.ts';
import { fixtureJson, jiraSignature } from '../support/fixtures.ts';
import { jiraProvider, jiraWithReadyIssue, openJiraTracker } from '../support/tracker-worlds.ts';

const SECRET = 'jira-webhook-secret';

webhookSourceConformance('JiraWebhookSource', async () => {
  const server = await jiraWithReadyIssue();
  return {
    source: new JiraWebhookSource({ secret: SECRET, provider: jiraProvider(server) }),
    deliver({ delivery = 1, secret = SECRET, body }) {
      // Delivery n: the captured jira:issue_created, sent n seconds later.
      const created = fixtureJson<{ timestamp: number }>('jira/webhook-issue-created.mattermost.json');
      const sent = body ?? JSON.stringify({ ...created, timestamp: created.timestamp + delivery * 1000 });
      return {
        body: sent,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Atlassian Webhook HTTP Client',
          'x-atlassian-webhook-identifier': `jira-delivery-${delivery}`,
          'x-atlassian-webhook-retry': '0',
          'x-hub-signature': jiraSignature(secret, sent),
        },
      };
    },
    calls: () => server.requests.length,
    close: () => server.stop(),
  };
});

workItemProviderConformance('JiraWorkItemProvider', openJiraTracker);
