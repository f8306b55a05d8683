// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write ${ENV_VAR} references literally.
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { RelayfileCredentialStore } from '@software-factory/auth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CLOUD_TOKEN,
  type LoopbackRelayfileCloud,
  startLoopbackRelayfileCloud,
} from '../../auth/test/support/loopback-relayfile-cloud.ts';
import { ConfigError } from '../src/config/config-error.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { openCredentialStore } from '../src/tenant/credential-store-from-config.ts';
import { buildTenantPorts } from '../src/tenant/tenant-ports.ts';

const ENV = {
  RELAYFILE_ACCESS_TOKEN: CLOUD_TOKEN,
  RELAYFILE_TOKEN: 'rf_mount_token_never_printed',
  RELAYFILE_WEBHOOK_SECRET: 'relayfile-webhook-secret',
};

const THROUGH_RELAYFILE = [
  'intentProvider: { type: linear, transport: relayfile, stateIds: { dispatched: s-started, done: s-done } }',
  'clarificationChannel: { type: slack, transport: relayfile, channel: C0123456789 }',
  'outputTarget: { type: github, transport: relayfile }',
  'fleet: { type: local, command: "true" }',
];

const relayfileMount = (workspace: string) =>
  `mount: { type: relayfile, workspace: ${workspace}, baseUrl: "https://api.relayfile.dev", token: "\${RELAYFILE_TOKEN}", webhookSecret: "\${RELAYFILE_WEBHOOK_SECRET}" }`;
const folderMount = 'mount: { type: directory, path: ./mount }';

/** Two tenants: `acme` reads through a relayfile mount, `globex` through a local folder. */
function twoTenants(credentials: string): string {
  const tenant = (id: string, mount: string) =>
    [`  - id: ${id}`, ...[...THROUGH_RELAYFILE, mount].map((line) => `    ${line}`)].join('\n');
  return `${credentials}\ntenants:\n${tenant('acme', relayfileMount('ws_acme'))}\n${tenant('globex', folderMount)}\n`;
}

let cloud: LoopbackRelayfileCloud;
beforeAll(async () => {
  cloud = await startLoopbackRelayfileCloud();
});
afterAll(async () => {
  await cloud.close();
});
beforeEach(() => {
  cloud.requests.length = 0;
});

const load = (text: string, env: Record<string, string> = ENV) =>
  parseConfig(text, { fileName: 'factory.config.yaml', baseDir: tmpdir(), env });

const relayfileCredentials = (extra: string[] = []) =>
  [
    'credentials:',
    '  type: relayfile',
    `  cloudApiUrl: ${cloud.cloudApiUrl}`,
    '  accessToken: ${RELAYFILE_ACCESS_TOKEN}',
    ...extra.map((line) => `  ${line}`),
  ].join('\n');

const joinedWorkspaces = () =>
  cloud.requests
    .filter((request) => request.method === 'POST' && request.path.endsWith('/join'))
    .map((request) => /\/workspaces\/([^/]+)\/join$/.exec(request.path)?.[1]);

describe('credentials: { type: relayfile }', () => {
  it("opens relayfile's credential store, with no FACTORY_CREDENTIALS_KEY needed", async () => {
    const config = await load(twoTenants(relayfileCredentials(['workspace: ws_shared'])));

    const credentials = openCredentialStore(config.credentials, {});

    expect(credentials.store).toBeInstanceOf(RelayfileCredentialStore);
    expect(credentials.unavailable).toBeUndefined();
    // The access token is a secret of the config, so every printed line is redacted of it.
    expect(config.secrets.has(CLOUD_TOKEN)).toBe(true);
  });

  it('gives every tenant built for `factory check` and `factory connect` the same relayfile store', async () => {
    const config = await load(twoTenants(relayfileCredentials(['workspace: ws_shared'])));

    const [acme, globex] = buildTenantPorts(config, { env: {} });

    expect(acme?.credentials.store).toBeInstanceOf(RelayfileCredentialStore);
    expect(globex?.credentials.store).toBe(acme?.credentials.store);
  });

  it("joins a tenant's workspace from its relayfile mount, and otherwise the `workspace` field", async () => {
    const config = await load(twoTenants(relayfileCredentials(['workspace: ws_shared'])));
    expect(config.credentials).toMatchObject({ workspaces: { acme: 'ws_acme', globex: 'ws_shared' } });
    const store = openCredentialStore(config.credentials, {}).store;

    expect(await store?.get('acme', 'linear')).toBeUndefined();
    expect(await store?.get('globex', 'linear')).toBeUndefined();

    expect(joinedWorkspaces()).toEqual(['ws_acme', 'ws_shared']);
    expect(cloud.requests.every((request) => !request.path.includes(CLOUD_TOKEN))).toBe(true);
  });

  it("hands out relayfile's workspace token once relayfile reports the integration connected", async () => {
    const config = await load(twoTenants(relayfileCredentials(['workspace: ws_ready'])));
    const store = openCredentialStore(config.credentials, {}).store;
    cloud.connectOutOfBand('ws_ready', 'linear');

    const credential = await store?.get('globex', 'linear');

    expect(credential).toMatchObject({ tokenType: 'relayfile', scopes: [] });
    expect(cloud.workspaceTokens()).toContain(credential?.accessToken);
  });

  it("asks relayfile about the integration `integrations` names for a provider (Slack's app)", async () => {
    const config = await load(
      twoTenants(relayfileCredentials(['workspace: ws_chat', 'integrations: { slack: slack-sage }'])),
    );
    const store = openCredentialStore(config.credentials, {}).store;
    cloud.connectOutOfBand('ws_chat', 'slack-sage');

    expect(await store?.get('globex', 'slack')).toMatchObject({ tokenType: 'relayfile' });
    expect(cloud.requests.map((request) => request.path)).toContain(
      '/cloud/api/v1/workspaces/ws_chat/integrations/slack-sage/status?connectionId=ws_chat',
    );
  });

  it('without `integrations`, Slack is refused with the field to set, before relayfile is asked', async () => {
    const config = await load(twoTenants(relayfileCredentials(['workspace: ws_shared'])));
    const store = openCredentialStore(config.credentials, {}).store;

    await expect(store?.get('acme', 'slack')).rejects.toThrow(
      /no relayfile integration is configured for provider "slack".*add it to `integrations`/,
    );
    expect(cloud.requests).toEqual([]);
  });

  it('refuses a tenant the config does not have, naming it', async () => {
    const config = await load(twoTenants(relayfileCredentials(['workspace: ws_shared'])));
    const store = openCredentialStore(config.credentials, {}).store;

    await expect(store?.get('initech', 'linear')).rejects.toThrow(
      'no relayfile workspace is configured for tenant initech',
    );
    expect(cloud.requests).toEqual([]);
  });

  it('refuses, at the field, a config where one tenant has neither a relayfile mount nor `workspace`', async () => {
    const text = twoTenants(relayfileCredentials());
    const error = await load(text).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'factory.config.yaml:2:3 credentials.workspace: tenant globex has no relayfile mount to take its relayfile workspace from: add `workspace: <id>` here, or give the tenant a `mount: { type: relayfile, workspace: … }`',
    ]);
  });

  it('leaves the encrypted file as the default store', async () => {
    const config = await load(`tenant: acme\n${[...THROUGH_RELAYFILE, folderMount].join('\n')}\n`);

    expect(config.credentials).toEqual({
      type: 'file',
      path: `${tmpdir()}/.factory/credentials.enc`,
    });
    expect(openCredentialStore(config.credentials, {}).store).toBeUndefined();
  });

  it("the README's example loads", async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = /\n( *)```yaml\n((?:\1 *credentials:\n)[\s\S]*?)\1```/.exec(readme);
    expect(example).not.toBeNull();
    const indent = new RegExp(`^${example?.[1] ?? ''}`, 'gm');
    const credentials = (example?.[2] ?? '').replace(indent, '');

    const config = await load(
      `tenant: acme\n${credentials}${[...THROUGH_RELAYFILE, folderMount].join('\n')}\n`,
    );

    expect(config.credentials).toMatchObject({
      type: 'relayfile',
      cloudApiUrl: 'https://agentrelay.com/cloud',
      integrations: { slack: 'slack-sage' },
      workspaces: { acme: 'ws_acme' },
    });
  });
});
