import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EncryptedFileCredentialStore } from '@software-factory/auth';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runFactory } from './support/factory-process.ts';
import { GithubAppVendor, personCreatingApp } from './support/github-app-vendor.ts';
import { CREDENTIALS_PASSPHRASE, expectNoSecrets, tempDir } from './support/onboarding-vendors.ts';

let vendor: GithubAppVendor;
let dir: string;
let env: Record<string, string>;
let browserLog: string;

beforeAll(async () => {
  vendor = await new GithubAppVendor().start();
});
afterAll(() => vendor.stop());

function configText(options: { publicUrl?: boolean } = {}): string {
  return [
    'tenant: acme',
    'stateStore: { type: memory }',
    'credentials: { type: file, path: credentials.enc }',
    ...(options.publicUrl === false ? [] : ['server: { publicUrl: "https://factory.example.com" }']),
    `intentProvider: { type: github-issues, baseUrl: "${vendor.url}", repositories: [{ repository: acme/app }], app: {} }`,
    'clarificationChannel: { type: comments }',
    `outputTarget: { type: github, baseUrl: "${vendor.url}", app: {} }`,
    `fleet: { type: github-actions, baseUrl: "${vendor.url}", app: {} }`,
    '',
  ].join('\n');
}

beforeEach(async () => {
  dir = await tempDir('factory-connect-github-app-');
  const browser = await personCreatingApp(dir);
  browserLog = browser.log;
  env = {
    BROWSER: browser.command,
    FACTORY_CREDENTIALS_KEY: CREDENTIALS_PASSPHRASE,
    GITHUB_WEB_URL: vendor.url,
  };
  await writeFile(path.join(dir, 'factory.config.yaml'), configText());
  vendor.requests.length = 0;
  vendor.created.length = 0;
  vendor.issuer = undefined;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const factory = (args: string[], extra: Record<string, string> = {}) =>
  runFactory(args, { cwd: dir, env: { ...env, ...extra } });

async function visits(): Promise<Record<string, unknown>[]> {
  const text = await readFile(browserLog, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('factory connect github --app: GitHub’s manifest flow', () => {
  it('creates the App with exactly the access the tenant needs, stores its credentials, and prints no secret', async () => {
    const run = await factory(['connect', 'github', '--app']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [app] = vendor.created;
    expect(app).toBeDefined();
    expect(run.stdout).toContain(`Created the GitHub App factory-acme (App id ${app?.id}).`);
    expect(run.stdout).toContain('https://github.com/apps/factory-acme/installations/new');

    const [visit] = await visits();
    expect(visit).toMatchObject({
      action: '/settings/apps/new',
      created: 302,
      callback: 200,
      heading: 'GitHub App created',
    });
    const manifest = visit?.manifest as Record<string, unknown>;
    expect(manifest).toEqual({
      name: 'factory-acme',
      url: 'https://github.com/software-factory/factory',
      hook_attributes: { url: 'https://factory.example.com/t/acme/webhooks/github', active: true },
      redirect_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/),
      public: false,
      default_permissions: { metadata: 'read', pull_requests: 'write', actions: 'write', issues: 'write' },
      default_events: ['pull_request', 'pull_request_review', 'issue_comment', 'workflow_run', 'issues'],
    });
    expect(vendor.requests.filter((line) => line.includes('/conversions'))).toHaveLength(1);

    const store = new EncryptedFileCredentialStore({
      path: path.join(dir, 'credentials.enc'),
      key: { passphrase: CREDENTIALS_PASSPHRASE },
    });
    expect(await store.get('acme', 'github-app')).toMatchObject({
      accessToken: app?.pem,
      resource: { id: String(app?.id) },
    });
    expect(await store.get('acme', 'github-app-webhook')).toMatchObject({ accessToken: app?.webhookSecret });
    expect(await store.get('acme', 'github-app-client')).toMatchObject({
      accessToken: app?.clientSecret,
      resource: { id: `Iv1.${app?.id}` },
    });
    expectNoSecrets(
      [run.stdout, run.stderr],
      [
        app?.pem ?? '',
        app?.pem.split('\n')[1] ?? '',
        app?.webhookSecret ?? '',
        app?.clientSecret ?? '',
        'manifest_code_',
      ],
    );

    // The stored App is what `app: {}` acts as: needs-auth until it is installed, then connected.
    const before = await factory(['check']);
    expect(before.stdout).toMatch(/github\b.*needs-auth/);
    vendor.issuer?.install('acme/app', 4242);
    const after = await factory(['check']);
    expect(after.stdout).toMatch(/github\b.*connected/);
    expect(after.stdout).toMatch(/github-issues\b.*connected/);
    expectNoSecrets(
      [before.stdout, before.stderr, after.stdout, after.stderr],
      [app?.pem.split('\n')[1] ?? ''],
    );
  });

  it('--org creates the App in the organisation; --app-name and --webhook-url shape the manifest', async () => {
    const run = await factory([
      'connect',
      'github-issues',
      '--app',
      '--org',
      'acme-corp',
      '--app-name',
      'Acme factory',
      '--webhook-url',
      'https://hooks.acme.example/t/acme/webhooks/github-issues',
    ]);
    expect(run.code).toBe(0);
    const [visit] = await visits();
    expect(visit).toMatchObject({
      action: '/organizations/acme-corp/settings/apps/new',
      manifest: {
        name: 'Acme factory',
        hook_attributes: { url: 'https://hooks.acme.example/t/acme/webhooks/github-issues' },
      },
    });
    expect(vendor.created[0]?.org).toBe('acme-corp');
  });
});

describe('bad --app arguments: exit 2, nothing sent, nothing stored', () => {
  it.each([
    [
      ['connect', 'github', '--app', '--remote', 'https://factory.example.com', '--tenant', 'acme'],
      /cannot be used with/,
    ],
    [['connect', 'github', '--app', '--scopes', 'repo'], /cannot be used with/],
    [['connect', 'github', '--org', 'acme'], /--org go with --app/],
    [['connect', 'github', '--webhook-url', 'https://x.example'], /--webhook-url go with --app/],
    [['connect', 'comments', '--app'], /name a GitHub provider of tenant acme/],
    [['connect', 'github', '--app', '--org', 'not an org!'], /organisation login/],
    [['connect', 'github', '--app', '--webhook-url', 'ftp://hooks.example'], /http\(s\) URL/],
    [['connect', 'github', '--app', '--app-name', ''], /letters, digits/],
  ])('factory %j', async (args, message) => {
    const run = await factory(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(vendor.requests).toEqual([]);
    expect(await visits()).toEqual([]);
  });

  it('without a webhook URL (no --webhook-url, no server.publicUrl)', async () => {
    await writeFile(path.join(dir, 'factory.config.yaml'), configText({ publicUrl: false }));
    const run = await factory(['connect', 'github', '--app']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('pass --webhook-url <url>, or set server.publicUrl');
    expect(vendor.requests).toEqual([]);
  });

  it('without the credentials key to store the private key in', async () => {
    const run = await factory(['connect', 'github', '--app'], { FACTORY_CREDENTIALS_KEY: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('FACTORY_CREDENTIALS_KEY');
    expect(vendor.requests).toEqual([]);
    expect(await visits()).toEqual([]);
  });
});
