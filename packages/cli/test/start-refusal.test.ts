// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SIGNATURE_HEADER, signFleetPayload, TIMESTAMP_HEADER } from '@software-factory/fleets';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GithubServer } from '../../providers/test/support/github-server.ts';
import { FactoryProcess, runFactory } from './support/factory-process.ts';

const ENV = {
  LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret',
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret',
  FLEET_SECRET: 'fleet-secret-0123456789',
  FACTORY_OPERATOR_TOKEN: 'operator-token-of-the-refusal-test-0001',
};

const github = new GithubServer();
let cwd: string;
const running: FactoryProcess[] = [];

beforeAll(async () => {
  await github.start();
  cwd = await mkdtemp(path.join(tmpdir(), 'factory-refusal-'));
  // Neither provider has a token in the config, and there is no credentials store yet.
  await writeFile(
    path.join(cwd, 'factory.config.yaml'),
    `tenant: acme
stateStore: { type: sqlite, path: state.sqlite }
server: { operatorToken: "\${FACTORY_OPERATOR_TOKEN}" }
intentProvider:
  type: linear
  transport: direct
  apiUrl: http://127.0.0.1:9/graphql
  webhookSecret: \${LINEAR_WEBHOOK_SECRET}
clarificationChannel: { type: comments }
outputTarget:
  type: github
  transport: direct
  baseUrl: ${github.url}
  webhookSecret: \${GITHUB_WEBHOOK_SECRET}
fleet: { type: http, url: "https://agents.example.com/factory", secret: "\${FLEET_SECRET}" }
`,
  );
});

afterAll(async () => {
  await github.stop();
  await rm(cwd, { recursive: true, force: true });
});

afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGKILL');
    await factory.exited;
  }
});

describe('factory start with providers that are not connected', () => {
  it('refuses to serve, exits 3, and names the command that fixes each provider', async () => {
    const { code, stdout, stderr } = await runFactory(['start', '--port', '0'], { cwd, env: ENV });
    expect(code).toBe(3);
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      'factory: tenant acme: linear (intake) needs authorisation (no Linear token is configured); run `factory connect linear`',
      expect.stringMatching(
        /^factory: tenant acme: github \(output\) needs authorisation \(.+\); run `factory connect github`$/,
      ),
      'factory: not starting: 2 providers are not connected (connect, or pass --allow-unconnected to serve anyway)',
    ]);
    expect(stdout).not.toContain('factory started');
  });

  it('names --config in the command when the config is not the default file', async () => {
    const { code, stderr } = await runFactory(['start', '--port', '0', '--config', './factory.config.yaml'], {
      cwd,
      env: ENV,
    });
    expect(code).toBe(3);
    expect(stderr).toContain('run `factory connect linear --config ./factory.config.yaml`');
  });

  it('serves with --allow-unconnected: /healthz says why to the operator token, webhooks get 503', async () => {
    const factory = new FactoryProcess(['start', '--port', '0', '--allow-unconnected'], { cwd, env: ENV });
    running.push(factory);
    const url = await factory.url();
    expect(
      factory.logs.filter((line) => line.msg === 'provider not connected; its webhooks get 503'),
    ).toHaveLength(2);

    const anonymous = await fetch(`${url}/healthz`);
    expect(anonymous.status).toBe(503);
    expect(await anonymous.json()).toEqual({ status: 'degraded', version: expect.any(String) });
    const health = await fetch(`${url}/healthz`, {
      headers: { authorization: `Bearer ${ENV.FACTORY_OPERATOR_TOKEN}` },
    });
    expect(health.status).toBe(503);
    const body = (await health.json()) as { tenants: { processing: boolean; refusal: string }[] };
    expect(body.tenants[0]?.processing).toBe(false);
    expect(body.tenants[0]?.refusal).toContain('linear (intake) needs authorisation');
    // A deployed app cannot know the reader's fix (a local or a --remote connect): the CLI words it.
    expect(body.tenants[0]?.refusal).not.toContain('factory connect');

    // A correctly signed fleet callback is authenticated, then refused until the providers are connected.
    const callback = JSON.stringify({ agentId: 'a-1', status: 'exited', exitCode: 0, eventId: 'evt-1' });
    const timestamp = Math.floor(Date.now() / 1000);
    const answer = await fetch(`${url}/t/acme/webhooks/fleet`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: await signFleetPayload(ENV.FLEET_SECRET, timestamp, callback),
      },
      body: callback,
    });
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: string }).error).toContain('not processing work');

    factory.kill('SIGTERM');
    expect(await factory.exited).toEqual({ code: 0, signal: null });
  });
});
