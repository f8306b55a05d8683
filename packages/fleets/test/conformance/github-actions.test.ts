import { createHmac } from 'node:crypto';
import { fleetClientConformance, webhookSourceConformance } from '@software-factory/sdk/testing';
import { GithubActionsFleet, runNameFor, WorkflowRunWebhookSource } from '../../src/index.ts';
import { GithubActionsServer, workflowRunExample } from '../support/github-actions-server.ts';
import { recordingSleep } from '../support/no-sleep.ts';

const TOKEN = 'ghs_test_installation_token_0123456789';
const SECRET = 'workflow-run-webhook-secret';

fleetClientConformance('GithubActionsFleet', async () => {
  const github = await new GithubActionsServer(TOKEN).start();
  return {
    fleet: new GithubActionsFleet({ token: TOKEN, baseUrl: github.url, sleep: recordingSleep().sleep }),
    backend: () => ({
      started: github.dispatches.length,
      running: github.runs.filter((run) => run.status !== 'completed').length,
    }),
    close: () => github.close(),
  };
});

webhookSourceConformance('WorkflowRunWebhookSource', async () => ({
  source: new WorkflowRunWebhookSource({ secret: SECRET }),
  deliver({ delivery = 1, secret = SECRET, body }) {
    // Delivery n: the completion of the factory's run for agent n, in GitHub's published run shape.
    const run = { ...workflowRunExample(), display_title: runNameFor(`tenant-1/item-${delivery}/r1/a1`) };
    const sent =
      body ??
      JSON.stringify({
        action: 'completed',
        workflow_run: { ...run, status: 'completed', conclusion: 'success' },
        repository: { full_name: 'acme/app' },
      });
    return {
      body: sent,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/044aadd',
        'x-github-event': 'workflow_run',
        // The same on GitHub's redeliveries of delivery n.
        'x-github-delivery': `72d3162e-cc78-11e3-81ab-4c9367dc${delivery.toString(16).padStart(4, '0')}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(sent).digest('hex')}`,
      },
    };
  },
  calls: () => 0,
}));
