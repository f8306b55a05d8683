import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GithubActionsFleet, WorkflowRunWebhookSource } from '../src/index.ts';
import { CoreWithFleet } from './support/core.ts';
import { GithubActionsServer } from './support/github-actions-server.ts';
import { recordingSleep } from './support/no-sleep.ts';

const TOKEN = 'ghs_test_installation_token_0123456789';
const WEBHOOK_SECRET = 'workflow-run-webhook-secret';

describe('GithubActionsFleet as the core’s fleet, with workflow_run webhooks through the factory app', () => {
  let github: GithubActionsServer;
  let core: CoreWithFleet;
  let deliveries = 0;

  beforeEach(async () => {
    github = await new GithubActionsServer(TOKEN).start();
    const fleet = new GithubActionsFleet({
      token: TOKEN,
      baseUrl: github.url,
      sleep: recordingSleep().sleep,
    });
    core = new CoreWithFleet(fleet, [new WorkflowRunWebhookSource({ secret: WEBHOOK_SECRET })]);
  });
  afterEach(() => github.close());

  /** GitHub finishes the newest run and delivers its workflow_run `completed` webhook. */
  async function finishNewestRun(conclusion: 'success' | 'failure') {
    const run = github.runs[0];
    if (!run) throw new Error('no run');
    github.finish(run.id, conclusion);
    const { owner, repo, inputs: _inputs, ...workflowRun } = run;
    const body = JSON.stringify({
      action: 'completed',
      workflow_run: workflowRun,
      workflow: { id: 161335, name: 'factory agent', path: '.github/workflows/factory-agent.yml' },
      repository: { id: 1296269, name: repo, full_name: `${owner}/${repo}` },
      sender: { login: 'octocat', id: 1 },
    });
    return core.post('github-actions', body, {
      'x-github-event': 'workflow_run',
      'x-github-delivery': `delivery-${++deliveries}`,
      'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
    });
  }

  it('retries a run that fails twice and ends done when the third succeeds', async () => {
    const item = core.item();
    await core.start(item);
    for (const attempt of [1, 2]) {
      expect((await finishNewestRun('failure')).status).toBe(200);
      expect((await core.record())?.status).toBe('queued');
      await core.retryAfter(attempt);
    }
    expect((await finishNewestRun('success')).status).toBe(200);
    await core.openReadyOutput(item);

    expect((await core.record())?.status).toBe('done');
    expect(github.dispatches.map((dispatch) => dispatch.inputs.idempotency_key)).toEqual([
      'tenant-1/item-7/r1/a1',
      'tenant-1/item-7/r1/a2',
      'tenant-1/item-7/r1/a3',
    ]);
  });

  it('ends failed with the reason in a comment when every run fails', async () => {
    await core.start(core.item());
    for (const attempt of [1, 2, 3]) {
      await finishNewestRun('failure');
      if (attempt < 3) await core.retryAfter(attempt);
    }
    const record = await core.record();
    expect(record?.status).toBe('failed');
    expect(core.comments().at(-1)).toMatch(
      /^The factory stopped working on this: workflow run concluded failure \(https:\/\/github.com\/acme\/app\/actions\/runs\/\d+\)/,
    );
    expect(github.runs).toHaveLength(3);
  });
});
