import { existsSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EncryptedFileCredentialStore } from '@software-factory/auth';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runFactory } from './support/factory-process.ts';
import {
  CREDENTIALS_PASSPHRASE,
  expectNoSecrets,
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
let opened: string;

beforeAll(async () => {
  vendors = await startVendors();
});
afterAll(async () => {
  await vendors.close();
});

beforeEach(async () => {
  dir = await tempDir('factory-connect-');
  const browser = await personAsBrowser(dir);
  opened = browser.log;
  env = vendorEnv(vendors, browser.command);
  await writeFile(path.join(dir, 'factory.config.yaml'), vendorConfig(vendors));
  vendors.oauth.authorize = 'approve';
  vendors.oauth.deviceSteps = ['approve'];
  vendors.oauth.requests.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const factory = (args: string[], extraEnv: Record<string, string> = {}) =>
  runFactory(args, { cwd: dir, env: { ...env, ...extraEnv } });
const credentialsFile = () => path.join(dir, '.factory', 'credentials.enc');
const stored = (provider: string) =>
  new EncryptedFileCredentialStore({
    path: credentialsFile(),
    key: { passphrase: CREDENTIALS_PASSPHRASE },
  }).get('acme', provider);
const requestedScopes = (vendor: string) =>
  vendors.oauth.requests
    .filter((request) => request.method === 'GET' && request.path.startsWith(`/${vendor}/oauth/`))
    .map((request) => new URL(request.path, vendors.oauth.url).searchParams.get('scope'));

interface CheckJson {
  ok: boolean;
  providers: { provider: string; state: string; missingScopes?: string[]; fix?: string }[];
}
async function checkedState(provider: string) {
  const result = await factory(['check', '--json']);
  const json = JSON.parse(result.stdout) as CheckJson;
  return json.providers.find((row) => row.provider === provider);
}

describe('factory connect linear', () => {
  it('signs in through the browser, stores the token encrypted (0600) and the follow-up check is connected', async () => {
    const result = await factory(['connect', 'linear']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [url] = (await readFile(opened, 'utf8')).trim().split('\n');
    expect(url).toMatch(new RegExp(`^${vendors.oauth.url}/linear/oauth/authorize\\?`));
    // Printed as well as opened, for a machine where no browser opens.
    expect(result.stdout).toContain(url);
    expect(result.stdout).toContain(`Stored in ${credentialsFile()} (tenant acme, provider linear).`);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      'linear: ✓ connected as factory@example.com @ acme (scopes: read, write)',
    );
    expect(requestedScopes('linear')).toEqual(['read,write']);
    expect((await stat(credentialsFile())).mode & 0o777).toBe(0o600);
    expect((await stored('linear'))?.accessToken).toMatch(/^lin_oauth_/);
    expect(await checkedState('linear')).toMatchObject({ state: 'connected' });
    expectNoSecrets(
      [result.stdout, result.stderr, await readFile(credentialsFile(), 'utf8')],
      vendors.oauth.secrets(),
    );
  });

  it('fixes missing-scopes by connecting again with what is held plus what is missing', async () => {
    const partial = await factory(['connect', 'linear', '--scopes', 'read']);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toContain('linear: ✗ missing-scopes: still lacks write');
    expect(await checkedState('linear')).toEqual(
      expect.objectContaining({
        state: 'missing-scopes',
        missingScopes: ['write'],
        fix: 'factory connect linear',
      }),
    );

    const again = await factory(['connect', 'linear']);

    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      'linear lacks write; connect again to grant write, keeping read (requesting read, write)',
    );
    expect(requestedScopes('linear')).toEqual(['read', 'read,write']);
    expect((await stored('linear'))?.scopes).toEqual(['read', 'write']);
    expect(await checkedState('linear')).toMatchObject({ state: 'connected' });
    expectNoSecrets([partial.stdout, partial.stderr, again.stdout, again.stderr], vendors.oauth.secrets());
  });

  it('stores nothing when the grant is denied, and says so on one line', async () => {
    vendors.oauth.authorize = 'deny';

    const result = await factory(['connect', 'linear']);

    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, 'the linear authorization was denied');
    expect(result.stderr).toContain('nothing was saved');
    expect(existsSync(credentialsFile())).toBe(false);
    expect(await checkedState('linear')).toMatchObject({ state: 'needs-auth' });
  });
});

describe('factory connect slack and github', () => {
  it('installs the Slack app with its bot scopes', async () => {
    const result = await factory(['connect', 'slack']);
    expect(result.code).toBe(0);
    // channels:read lists the channel's members, who may answer questions.
    expect(requestedScopes('slack')).toEqual(['chat:write,channels:history,channels:read']);
    expect((await stored('slack'))?.tokenType).toBe('bot');
    expect(result.stdout).toContain('slack: ✓ connected as factory @ Acme');
    expectNoSecrets([result.stdout, result.stderr], vendors.oauth.secrets());
  });

  it('authorises GitHub with a device code shown in the terminal', async () => {
    const result = await factory(['connect', 'github']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `To connect github, open ${vendors.oauth.url}/github/login/device and enter the code WDJB-MJHT (scopes: repo).`,
    );
    expect(result.stdout).toContain('github: ✓ connected as factory-bot');
    expect((await stored('github'))?.accessToken).toMatch(/^gho_/);
    expectNoSecrets([result.stdout, result.stderr], vendors.oauth.secrets());
  });
});

describe('factory connect: wrong input is one line and changes nothing', () => {
  it.each([
    [['connect'], {}, "missing required argument 'provider'"],
    [['connect', 'Linear!'], {}, 'expected a provider name'],
    [['connect', 'jira'], {}, 'tenant acme declares no provider "jira" (declared: linear, slack, github)'],
    [['connect', 'linear', '--scopes', ' , '], {}, 'expected scopes separated by commas'],
    [['connect', 'linear', '--scopes', 'read write'], {}, 'expected scopes separated by commas'],
    [['connect', 'linear', '--redirect-port', '70000'], {}, 'expected a port number from 1 to 65535'],
    [['connect', 'linear', '--tenant', 'globex'], {}, '--tenant globex: no such tenant'],
    [['connect', 'linear', '--config', 'missing.yaml'], {}, 'missing.yaml: no such config file'],
    [['connect', 'linear', '--colour'], {}, "unknown option '--colour'"],
    [['connect', 'linear'], { LINEAR_CLIENT_ID: '' }, 'set LINEAR_CLIENT_ID'],
    [['connect', 'slack'], { SLACK_CLIENT_SECRET: '' }, 'set SLACK_CLIENT_SECRET'],
    [['connect', 'linear'], { FACTORY_CREDENTIALS_KEY: '' }, 'set FACTORY_CREDENTIALS_KEY'],
    [
      ['connect', 'linear'],
      { LINEAR_OAUTH_TOKEN_URL: 'not a url' },
      'LINEAR_OAUTH_TOKEN_URL is not an http(s) URL',
    ],
  ] as const)('factory %j %j', async (args, extraEnv, message) => {
    const result = await factory([...args], extraEnv);
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr, message);
    expect(existsSync(credentialsFile())).toBe(false);
    expect(vendors.oauth.requests).toHaveLength(0);
  });

  it('says where a provider that runs through relayfile is connected', async () => {
    await writeFile(
      path.join(dir, 'factory.config.yaml'),
      vendorConfig(vendors).replace(
        /outputTarget:[\s\S]*?(?=fleet:)/,
        'outputTarget: { type: github, transport: relayfile }\nmount: { type: directory, path: ./mount }\n',
      ),
    );
    const result = await factory(['connect', 'github']);
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr, 'github runs through relayfile');
  });
});
