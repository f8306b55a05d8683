import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RelayfileCredentialStore } from '@software-factory/auth';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CLOUD_TOKEN,
  type LoopbackRelayfileCloud,
  startLoopbackRelayfileCloud,
} from '../../auth/test/support/loopback-relayfile-cloud.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { connectProvider } from '../src/onboarding/connect-provider.ts';
import { buildTenantPorts } from '../src/tenant/tenant-ports.ts';
import { expectNoSecrets, tempDir } from './support/onboarding-vendors.ts';

const CONFIG = `tenant: acme
stateStore: { type: memory }
intentProvider: { type: linear, transport: relayfile, stateIds: { dispatched: state-started, done: state-done } }
clarificationChannel: { type: slack, transport: relayfile, channel: C0123456789 }
outputTarget: { type: github, transport: relayfile }
mount: { type: directory, path: ./mount }
fleet: { type: local, command: "true" }
`;

let cloud: LoopbackRelayfileCloud;
let dir: string;
beforeAll(async () => {
  cloud = await startLoopbackRelayfileCloud();
});
afterAll(async () => {
  await cloud.close();
});
beforeEach(async () => {
  dir = await tempDir('factory-connect-relayfile-');
  await mkdir(path.join(dir, 'mount'));
  await writeFile(path.join(dir, 'factory.config.yaml'), CONFIG);
  cloud.pollsBeforeReady = 1;
  cloud.requests.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The tenant `factory connect` builds, with relayfile's connect sessions as its credential store. */
async function tenantWithRelayfile() {
  const config = await loadConfig(path.join(dir, 'factory.config.yaml'), {});
  const [ports] = buildTenantPorts(config, { env: {} });
  const [tenantConfig] = config.tenants;
  if (!ports || !tenantConfig) throw new Error('the config has no tenant');
  const store = new RelayfileCredentialStore({
    cloudApiUrl: cloud.cloudApiUrl,
    accessToken: CLOUD_TOKEN,
    workspaceFor: () => 'ws_acme_onboarding',
    retry: { maxRetries: 0, baseDelayMs: 1 },
    sleep: async () => {},
  });
  return { tenant: { ...ports, credentials: { path: 'relayfile', store } }, tenantConfig, config };
}

describe('factory connect when relayfile holds the vendor connections', () => {
  it("runs relayfile's connect session for a relayfile-transport provider; no OAuth app is needed", async () => {
    const { tenant, tenantConfig, config } = await tenantWithRelayfile();
    const printed: string[] = [];
    const opened: string[] = [];

    const status = await connectProvider({
      tenant,
      tenantConfig,
      provider: 'linear',
      env: {},
      secrets: config.secrets,
      openUrl: async (url) => {
        opened.push(url);
        await (await fetch(url)).text(); // the person finishes the vendor's consent in relayfile
      },
      print: (message) => printed.push(message),
    });

    expect(opened[0]).toMatch(new RegExp(`^${cloud.cloudApiUrl}/connect/`));
    expect(printed).toContain(`To connect linear through relayfile, open:\n  ${opened[0]}`);
    expect(printed).toContain('linear connected through relayfile.');
    expect(printed.at(-1)).toBe('relayfile holds the linear connection of tenant acme.');
    expect(status.state).toBe('connected');
    expect(cloud.requests.some((request) => request.path.endsWith('/integrations/connect-session'))).toBe(
      true,
    );
    expectNoSecrets(printed, [CLOUD_TOKEN, ...cloud.workspaceTokens()]);
  });
});
