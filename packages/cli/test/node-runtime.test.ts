// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { hmacSha256Hex, silentLogger, traceIdFor } from '@software-factory/sdk';
import { sampleRecord } from '@software-factory/sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.ts';
import { ensureDemoRepository } from '../src/local-setup.ts';
import { NodeRuntime } from '../src/node-runtime.ts';
import { testFolder } from './support/temp-folder.ts';

const GITHUB_SECRET = 'github-webhook-secret-for-acme';
const ENV = {
  ACME_LINEAR_KEY: 'lin_api_acme',
  ACME_LINEAR_SECRET: 'linear-secret-acme',
  ACME_SLACK_TOKEN: 'xoxb-acme',
  ACME_SLACK_SECRET: 'slack-secret-acme',
  ACME_GITHUB_TOKEN: 'ghp_acme',
  ACME_GITHUB_SECRET: GITHUB_SECRET,
};

interface WebhookExample {
  name: string;
  examples: { action?: string }[];
}
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookExample[];
const pullRequestOpened = examples
  .find((example) => example.name === 'pull_request')
  ?.examples.find((example) => example.action === 'opened');

let dir: string;
let runtime: NodeRuntime | undefined;

beforeEach(async () => {
  dir = await testFolder('factory-runtime-');
  await mkdir(path.join(dir, 'workspace'));
  ensureDemoRepository(path.join(dir, 'repo'));
  // Two tenants: one on the vendors' own APIs (pointed at a closed loopback port: nothing leaves the
  // machine), one on a local folder.
  await writeFile(
    path.join(dir, 'factory.config.yaml'),
    `stateStore: { type: sqlite, path: state/state.sqlite }
tenants:
  - id: acme
    intentProvider:
      type: linear
      transport: direct
      apiKey: \${ACME_LINEAR_KEY}
      webhookSecret: \${ACME_LINEAR_SECRET}
      apiUrl: http://127.0.0.1:9/graphql
    clarificationChannel:
      type: slack
      transport: direct
      botToken: \${ACME_SLACK_TOKEN}
      signingSecret: \${ACME_SLACK_SECRET}
      channel: C0123456789
      apiUrl: http://127.0.0.1:9/api
    outputTarget:
      type: github
      transport: direct
      token: \${ACME_GITHUB_TOKEN}
      webhookSecret: \${ACME_GITHUB_SECRET}
      baseUrl: http://127.0.0.1:9
    fleet: { type: local, command: ["true"], repository: repo }
  - id: garage
    intentProvider: { type: linear, transport: relayfile, stateIds: { dispatched: s1, done: s2 } }
    clarificationChannel: { type: slack, transport: relayfile, channel: C0GARAGE }
    outputTarget: { type: github, transport: relayfile }
    mount: { type: directory, path: workspace }
    fleet: { type: local, command: ["true"], repository: repo }
`,
  );
});

afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function open(): Promise<NodeRuntime> {
  runtime = await NodeRuntime.open(await loadConfig(path.join(dir, 'factory.config.yaml'), ENV), {
    logger: silentLogger,
  });
  return runtime;
}

async function postGithub(app: NodeRuntime['app'], tenant: string, body: string, signature?: string) {
  return app.request(`/t/${tenant}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      ...(signature ? { 'x-hub-signature-256': signature } : {}),
    },
    body,
  });
}

describe('a runtime built from a config of many tenants', () => {
  it('mounts each tenant’s webhook sources under its own id', async () => {
    const { app } = await open();
    expect(pullRequestOpened).toBeDefined();
    const body = JSON.stringify(pullRequestOpened);

    const unsigned = await postGithub(app, 'acme', body);
    expect(unsigned.status).toBe(401);

    const signed = await postGithub(app, 'acme', body, `sha256=${await hmacSha256Hex(GITHUB_SECRET, body)}`);
    expect(signed.status).toBe(200);
    expect(await signed.json()).toMatchObject({
      status: 'processed',
      results: [{ event: 'output.changed' }],
    });

    // The folder tenant reads its code host from files: it has no GitHub webhook.
    expect((await postGithub(app, 'garage', body)).status).toBe(404);
    expect((await postGithub(app, 'nobody', body)).status).toBe(404);
  });

  it('keeps each tenant’s records apart in the one store', async () => {
    const opened = await open();
    const body = JSON.stringify(pullRequestOpened);
    await postGithub(opened.app, 'acme', body, `sha256=${await hmacSha256Hex(GITHUB_SECRET, body)}`);
    expect(opened.tenants.map((tenant) => tenant.runtime.id)).toEqual(['acme', 'garage']);
    const acme = opened.tenants[0]?.runtime.factory.settings;
    expect(acme?.limits.maxInFlight).toBe(3);
    expect((await opened.store.listRecords('garage')).records).toEqual([]);
  });
});

describe('the dashboard of a runtime built from a config', () => {
  it("links an item's run to its trace with the config's observability.traceUrl", async () => {
    const file = path.join(dir, 'factory.config.yaml');
    const config = readFile(file, 'utf8');
    await writeFile(
      file,
      `observability:\n  traceUrl: "https://traces.example/explore?traceId={traceId}"\n${(
        await config
      ).replace('  - id: garage\n', '  - id: garage\n    adminToken: ${GARAGE_ADMIN_TOKEN}\n')}`,
    );
    const adminToken = 'garage-admin-token-of-the-runtime-test';
    runtime = await NodeRuntime.open(await loadConfig(file, { ...ENV, GARAGE_ADMIN_TOKEN: adminToken }), {
      logger: silentLogger,
    });
    await runtime.store.commit('garage', { record: sampleRecord('item-1') });
    const page = await runtime.app.request('/t/garage/items/item-1/history.json', {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(page.status).toBe(200);
    expect(((await page.json()) as { links: { trace?: string } }).links.trace).toBe(
      `https://traces.example/explore?traceId=${traceIdFor('garage', 'item-1', 1)}`,
    );
  });
});
