// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EncryptedFileCredentialStore } from '@software-factory/auth';
import { GITHUB_APP_CONNECTION } from '@software-factory/providers/registry';
import { silentLogger } from '@software-factory/sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GithubActionsServer } from '../../fleets/test/support/github-actions-server.ts';
import { spawnRequest } from '../../fleets/test/support/spawn-request.ts';
import { GithubAppIssuer, generateAppKey } from '../../providers/test/support/github-app.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { NodeRuntime } from '../src/node-runtime.ts';

const APP_ID = 515151;
const INSTALLATION = 8080;
const KEY = 'correct horse battery staple';
const key = generateAppKey();
const ENV = {
  GITHUB_APP_PRIVATE_KEY: key.privateKey,
  GITHUB_WEBHOOK_SECRET: 'github-webhook-secret',
  LINEAR_WEBHOOK_SECRET: 'linear-webhook-secret',
  LINEAR_API_KEY: 'lin_api_0001',
  FACTORY_CREDENTIALS_KEY: KEY,
};

let github: GithubActionsServer;
let issuer: GithubAppIssuer;
let dir: string;
const runtimes: NodeRuntime[] = [];

beforeAll(async () => {
  github = await new GithubActionsServer('no-personal-token').start();
  dir = await mkdtemp(path.join(tmpdir(), 'factory-github-app-fleet-'));
});
afterAll(async () => {
  await github.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  issuer = new GithubAppIssuer({ appId: APP_ID, publicKey: key.publicKey });
  issuer.install('acme/app', INSTALLATION);
  github.accepts = (token) => issuer.accepts(token);
  github.answerFirst = (request) => issuer.answer(request);
  github.requests.length = 0;
  github.dispatches.length = 0;
  github.runs.length = 0;
});
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.stop();
});

async function fleetOf(app: string) {
  const yaml = `tenant: acme
stateStore: { type: memory }
credentials: { type: file, path: credentials.enc }
intentProvider: { type: linear, transport: direct, webhookSecret: "\${LINEAR_WEBHOOK_SECRET}" }
clarificationChannel: { type: comments }
outputTarget: { type: github, transport: direct, token: "\${GITHUB_WEBHOOK_SECRET}", webhookSecret: "\${GITHUB_WEBHOOK_SECRET}" }
fleet: { type: github-actions, baseUrl: "${github.url}", app: ${app} }
`;
  const config = await parseConfig(yaml, { fileName: 'factory.config.yaml', baseDir: dir, env: ENV });
  const runtime = await NodeRuntime.open(config, { logger: silentLogger, env: ENV });
  runtimes.push(runtime);
  const [tenant] = runtime.tenants;
  if (!tenant) throw new Error('no tenant');
  return tenant.runtime.factory.ports.fleet;
}

describe('the github-actions fleet as a GitHub App installation', () => {
  it('dispatches with an installation token for the route’s repository, found from the repository', async () => {
    const fleet = await fleetOf(`{ appId: ${APP_ID}, privateKey: "\${GITHUB_APP_PRIVATE_KEY}" }`);
    const request = spawnRequest();
    const agent = await fleet.spawn(request);
    expect(github.dispatches).toHaveLength(1);
    expect(issuer.refusedJwts).toEqual([]);
    expect(issuer.exchanges).toEqual([INSTALLATION]);
    expect(github.requests).toContain('GET /repos/acme/app/installation');
    expect(await fleet.status(agent.agentId)).toMatchObject({ state: 'running' });
  });

  it('an installation token that expires mid-run is exchanged again once; the dispatch is not repeated', async () => {
    const fleet = await fleetOf(
      `{ appId: ${APP_ID}, privateKey: "\${GITHUB_APP_PRIVATE_KEY}", installationId: ${INSTALLATION} }`,
    );
    const first = await fleet.spawn(spawnRequest());
    issuer.expireAll();
    const second = spawnRequest({ idempotencyKey: 'tenant-1/item-8/r1/a1', workItemKey: 'ENG-8' });
    await fleet.spawn(second);
    expect(github.dispatches.map((dispatch) => dispatch.inputs.work_item_key)).toEqual(['ENG-7', 'ENG-8']);
    expect(issuer.exchanges).toEqual([INSTALLATION, INSTALLATION]);
    expect(await fleet.status(first.agentId)).toMatchObject({ state: 'running' });
  });

  it('app: {} uses the App `factory connect github --app` stored; a revoked installation dispatches nothing', async () => {
    const store = new EncryptedFileCredentialStore({
      path: path.join(dir, 'credentials.enc'),
      key: { passphrase: KEY },
    });
    await store.put('acme', GITHUB_APP_CONNECTION, {
      accessToken: key.privateKey,
      scopes: [],
      resource: { id: String(APP_ID) },
    });
    const fleet = await fleetOf('{}');
    await fleet.spawn(spawnRequest());
    expect(github.dispatches).toHaveLength(1);

    issuer.revoke(INSTALLATION);
    await expect(
      fleet.spawn(spawnRequest({ idempotencyKey: 'tenant-1/item-9/r1/a1', workItemKey: 'ENG-9' })),
    ).rejects.toThrow(/uninstalled, suspended or its key revoked/);
    expect(github.dispatches).toHaveLength(1);
  });
});

describe('bad fleet.app config', () => {
  it.each([
    [`{ appId: ${APP_ID} }`, 'give app.appId and app.privateKey together'],
    [`{ appId: ${APP_ID}, privateKey: "literal" }`, 'is a secret and takes no literal value'],
    ['{ installationId: -3 }', 'fleet.app.installationId'],
  ])('fleet.app %s is refused: %s', async (app, message) => {
    await expect(fleetOf(app)).rejects.toThrow(message);
  });

  it('fleet.token and fleet.app together are refused', async () => {
    const yaml = `tenant: acme
stateStore: { type: memory }
intentProvider: { type: linear, transport: direct, webhookSecret: "\${LINEAR_WEBHOOK_SECRET}" }
clarificationChannel: { type: comments }
outputTarget: { type: github, transport: direct, webhookSecret: "\${GITHUB_WEBHOOK_SECRET}" }
fleet: { type: github-actions, token: "\${GITHUB_WEBHOOK_SECRET}", app: {} }
`;
    await expect(
      parseConfig(yaml, { fileName: 'factory.config.yaml', baseDir: dir, env: ENV }),
    ).rejects.toThrow('give fleet.token or fleet.app (a GitHub App), not both');
  });
});
