import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import example from '../example/worker.ts';

const SECRETS = {
  LINEAR_API_KEY: 'lin_api_example_secret',
  LINEAR_WEBHOOK_SECRET: 'linear-whsec-example',
  SLACK_BOT_TOKEN: 'xoxb-example-secret',
  SLACK_SIGNING_SECRET: 'slack-signing-example',
  GITHUB_TOKEN: 'ghp_example_secret',
  GITHUB_WEBHOOK_SECRET: 'github-whsec-example',
  FLEET_SECRET: 'fleet-secret-example',
};
const VARS = {
  FACTORY_TENANT: 'acme',
  SLACK_CHANNEL: 'C0123456789',
  FLEET_URL: 'https://fleet.example/factory',
};

async function send(bindings: Record<string, unknown>, path: string, init?: RequestInit) {
  const ctx = createExecutionContext();
  const request = new Request(`https://factory.example${path}`, init);
  const response = await example.fetch(
    request as Request<unknown, IncomingRequestCfProperties>,
    bindings as Parameters<typeof example.fetch>[1],
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, text: await response.text() };
}

describe('the example entry (wrangler.jsonc main) checks its vars and secrets', () => {
  it('names every missing var or secret, and quotes no value', async () => {
    const answer = await send({ ...env, ...VARS, LINEAR_API_KEY: SECRETS.LINEAR_API_KEY }, '/healthz');
    expect(answer.status).toBe(500);
    expect(answer.text).toContain(
      'set LINEAR_WEBHOOK_SECRET, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, GITHUB_TOKEN, GITHUB_WEBHOOK_SECRET, FLEET_SECRET',
    );
    expect(answer.text).not.toContain(SECRETS.LINEAR_API_KEY);
  });

  it('names bad FACTORY_SETTINGS', async () => {
    const broken = await send({ ...env, ...VARS, ...SECRETS, FACTORY_SETTINGS: '{"limits":' }, '/healthz');
    expect(broken.status).toBe(500);
    expect(broken.text).toContain('FACTORY_SETTINGS is not valid');

    const unknown = await send({ ...env, ...VARS, ...SECRETS, FACTORY_SETTINGS: '{"limit":{}}' }, '/healthz');
    expect(unknown.text).toContain('FACTORY_SETTINGS is not valid');
  });

  it('serves the Linear, Slack, GitHub and fleet webhook routes of its tenant, each checking signatures', async () => {
    const bindings = { ...env, ...VARS, ...SECRETS };
    for (const source of ['linear', 'slack', 'github', 'fleet']) {
      const answer = await send(bindings, `/t/acme/webhooks/${source}`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect([source, answer.status]).toEqual([source, 401]);
      for (const secret of Object.values(SECRETS)) expect(answer.text).not.toContain(secret);
    }
  });
});
