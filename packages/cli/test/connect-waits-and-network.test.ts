// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configs hold ${ENV_VAR} references literally.
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, FactoryProcess, runFactory } from './support/factory-process.ts';
import {
  expectOneLineError,
  personAsBrowser,
  startVendors,
  tempDir,
  type Vendors,
  vendorConfig,
  vendorEnv,
} from './support/onboarding-vendors.ts';

let vendors: Vendors;
let dir: string;
let env: Record<string, string>;
/** A loopback port nothing listens on: a connection to it is refused at once. */
let closedPort: number;

beforeAll(async () => {
  vendors = await startVendors();
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(async () => {
  await vendors.close();
});
beforeEach(async () => {
  dir = await tempDir('factory-connect-waits-');
  env = vendorEnv(vendors, (await personAsBrowser(dir)).command);
  await writeFile(path.join(dir, 'factory.config.yaml'), vendorConfig(vendors));
  vendors.oauth.authorize = 'approve';
  vendors.oauth.deviceSteps = ['approve'];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const factory = (args: string[], extraEnv: Record<string, string> = {}) =>
  runFactory(args, { cwd: dir, env: { ...env, ...extraEnv } });
const credentialsFile = () => path.join(dir, '.factory', 'credentials.enc');

describe('factory connect says how long it waits and how to stop it', () => {
  it('says the browser sign-in waits up to five minutes for the browser, and that Ctrl-C cancels it', async () => {
    const result = await factory(['connect', 'linear']);

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const shown = lines.findIndex((line) => line.startsWith('To connect linear, open this URL'));
    expect(shown).toBeGreaterThanOrEqual(0);
    // Right after the URL (printed on the line below the sentence) comes the wait.
    expect(lines[shown + 2]).toBe(
      'Waiting up to 5 min for the browser to come back here; Ctrl-C cancels (nothing is saved).',
    );
  });

  it('the device code sign-in waits until the code expires (15 min at GitHub); Ctrl-C cancels it and stores nothing', async () => {
    const connect = new FactoryProcess(['connect', 'github'], { cwd: dir, env });
    try {
      const waiting =
        'Waiting up to 15 min for the code to be entered (it expires then); Ctrl-C cancels (nothing is saved).';
      await eventually(() =>
        connect.stdout.includes(waiting) || connect.child.exitCode !== null ? true : undefined,
      );
      expect(connect.stdout).toContain(
        `To connect github, open ${vendors.oauth.url}/github/login/device and enter the code WDJB-MJHT (scopes: repo).\n${waiting}\n`,
      );

      connect.kill('SIGINT');

      expect((await connect.exited).code).toBe(1);
      expectOneLineError(connect.stderr, 'connecting github was cancelled; nothing was saved');
      expect(existsSync(credentialsFile())).toBe(false);
    } finally {
      connect.kill('SIGKILL');
    }
  });
});

describe('factory connect when the sign-in server cannot be reached', () => {
  it('names the host and port it could not reach (ECONNREFUSED), exits 1 and stores nothing', async () => {
    const result = await factory(['connect', 'github'], {
      GITHUB_OAUTH_DEVICE_URL: `http://127.0.0.1:${closedPort}/login/device/code`,
    });

    expect(result.code).toBe(1);
    expectOneLineError(
      result.stderr,
      `cannot reach 127.0.0.1:${closedPort} (ECONNREFUSED: connection refused) for the github sign-in; check the network (or a proxy) and that address; nothing was saved`,
    );
    expect(result.stderr).not.toContain('fetch failed');
    expect(existsSync(credentialsFile())).toBe(false);
  });

  it("names relayfile's cloud host when the connect session cannot start", async () => {
    await writeFile(
      path.join(dir, 'factory.config.yaml'),
      vendorConfig(
        vendors,
        [
          'credentials:',
          '  type: relayfile',
          `  cloudApiUrl: http://127.0.0.1:${closedPort}/cloud`,
          '  accessToken: ${RELAYFILE_ACCESS_TOKEN}',
          '  workspace: ws_acme',
          '',
        ].join('\n'),
      )
        // With relayfile holding the connections, a direct provider carries its own token.
        .replace('  webhookSecret: ${LINEAR_WEBHOOK_SECRET}', '$&\n  apiKey: ${LINEAR_API_KEY}')
        .replace('  signingSecret: ${SLACK_SIGNING_SECRET}', '$&\n  botToken: ${SLACK_BOT_TOKEN}')
        .replace('  webhookSecret: ${GITHUB_WEBHOOK_SECRET}', '$&\n  token: ${GITHUB_TOKEN}'),
    );

    const result = await factory(['connect', 'linear'], {
      RELAYFILE_ACCESS_TOKEN: 'rf_cloud_access_token_never_printed',
      LINEAR_API_KEY: 'lin_api_key_never_printed',
      SLACK_BOT_TOKEN: 'xoxb-never_printed',
      GITHUB_TOKEN: 'ghp_never_printed',
    });

    expect(result.code).toBe(1);
    expectOneLineError(
      result.stderr,
      `relayfile join of workspace ws_acme failed: cannot reach 127.0.0.1:${closedPort} (ECONNREFUSED: connection refused)`,
    );
    expect(result.stderr).not.toContain('never_printed');
  });
});
