import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import type { WorkflowRunEvent } from '@octokit/webhooks-types';
import type { IncomingWebhook } from '@software-factory/sdk';
import { incomingWebhook, WebhookError } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { WorkflowRunWebhookSource, workflowRunExit } from '../src/index.ts';

const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];
const workflowRunExamples = (examples.find((definition) => definition.name === 'workflow_run')?.examples ??
  []) as WorkflowRunEvent[];

function webhook(body: string, headers: Record<string, string>): IncomingWebhook {
  return incomingWebhook({
    headers: new Headers(headers),
    rawBody: new TextEncoder().encode(body),
    body,
    receivedAt: Date.now(),
  });
}

/** A real completed workflow_run delivery, re-titled as a factory agent's run. */
function factoryRunPayload(conclusion: string, title = 'factory tenant-1/item-7/r1/a1') {
  const example = structuredClone(
    workflowRunExamples.find(
      (candidate) => candidate.action === 'completed' && candidate.workflow_run.conclusion === 'success',
    ),
  );
  if (!example) throw new Error('no completed workflow_run example');
  Object.assign(example.workflow_run, { display_title: title, conclusion, status: 'completed' });
  return example;
}

describe('WorkflowRunWebhookSource', () => {
  it("verifies GitHub's published X-Hub-Signature-256 test vector", async () => {
    // From GitHub's "Validating webhook deliveries" documentation.
    const source = new WorkflowRunWebhookSource({ secret: "It's a Secret to Everybody" });
    await expect(
      source.verify(
        webhook('Hello, World!', {
          'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
        }),
      ),
    ).resolves.toBeUndefined();
  });

  // Another body, another secret, no signature, bodies GitHub never sends: the WebhookSource conformance
  // suite (conformance/github-actions.test.ts).

  it("turns a completed factory run into the agent's exit, keyed by repository and run name", async () => {
    const payload = factoryRunPayload('failure');
    const body = JSON.stringify(payload);
    const source = new WorkflowRunWebhookSource({ secret: 's3cret' });
    const request = webhook(body, {
      'x-github-event': 'workflow_run',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`,
    });
    await source.verify(request);

    expect(await source.interpret(request)).toEqual({
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      events: [
        {
          type: 'agent.exited',
          agentId: `${payload.repository.full_name}:factory tenant-1/item-7/r1/a1`,
          outcome: 'failed',
          exitCode: 1,
          reason: `workflow run concluded failure (${payload.workflow_run.html_url})`,
        },
      ],
    });
  });

  it('reads success as exit code 0', () => {
    expect(workflowRunExit(factoryRunPayload('success'))).toMatchObject({
      event: { outcome: 'succeeded', exitCode: 0 },
    });
  });

  it('ignores runs that are not factory agents, runs not yet completed, and other events', async () => {
    for (const example of workflowRunExamples) {
      expect(workflowRunExit(example)).toHaveProperty('ignored');
    }
    const source = new WorkflowRunWebhookSource({ secret: 's3cret' });
    expect(
      await source.interpret(webhook('{"zen":"Design for failure."}', { 'x-github-event': 'ping' })),
    ).toEqual({
      events: [],
      ignored: 'ping',
    });
    expect(await source.interpret(webhook('{}', { 'x-github-event': 'push' }))).toEqual({
      events: [],
      ignored: 'event push',
    });
  });

  it('rejects a workflow_run payload it cannot read with a 400', async () => {
    const source = new WorkflowRunWebhookSource({ secret: 's3cret' });
    await expect(
      source.interpret(webhook('{"action":"completed"}', { 'x-github-event': 'workflow_run' })),
    ).rejects.toEqual(new WebhookError(400, 'malformed workflow_run payload'));
    expect(() => new WorkflowRunWebhookSource({ secret: '' })).toThrow(/secret is required/);
  });
});
