import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, FactoryProcess, runFactory } from './support/factory-process.ts';
import { expectNoSecrets, expectOneLineError, personAsBrowser } from './support/onboarding-vendors.ts';
import { OPERATOR_TOKEN, RemoteDeployment } from './support/remote-deployment.ts';
import { testFolder } from './support/temp-folder.ts';

const TENANT = {
  intentProvider: 'linear',
  clarificationChannel: 'comments',
  outputTarget: 'github',
};

let deployment: RemoteDeployment;
let dir: string;
let host: string;
/** A `$BROWSER` that follows the consent page back to the app's callback, logging each URL. */
let browser: { command: string; log: string };
/** The admin token `tenants add` gave for acme. */
let acmeToken: string;

beforeEach(async () => {
  deployment = await new RemoteDeployment().start();
  host = new URL(deployment.url).host;
  dir = await testFolder('factory-remote-');
  browser = await personAsBrowser(dir);
  acmeToken = await addTenant('acme');
});
afterEach(async () => {
  await deployment.stop();
});

/** Adds a tenant through the admin API, as `tenants add` does; its admin token. */
async function addTenant(id: string): Promise<string> {
  const response = await fetch(`${deployment.url}/admin/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id, ...TENANT }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { adminToken: string }).adminToken;
}

const asAcme = () => ({ FACTORY_ADMIN_TOKEN: acmeToken, BROWSER: browser.command });
const factory = (args: readonly string[], env: Record<string, string> = asAcme()) =>
  runFactory([...args, '--remote', deployment.url], { cwd: dir, env });
const secrets = () => [OPERATOR_TOKEN, acmeToken];

describe('factory check --remote', () => {
  it("shows a new tenant's providers as needs-auth, each with the remote command that fixes it", async () => {
    const result = await factory(['check', '--tenant', 'acme']);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [
        'PROVIDER  ROLE    STATUS        MISSING SCOPES  FIX',
        `linear    intake  ✗ needs-auth                  factory connect linear --remote ${deployment.url} --tenant acme`,
        `github    output  ✗ needs-auth                  factory connect github --remote ${deployment.url} --tenant acme`,
        '',
        'linear: linear is not signed in',
        'github: github is not signed in',
        '',
      ].join('\n'),
    );
    expect(result.stderr).toBe('');
    expectNoSecrets([result.stdout, result.stderr], secrets());
  });

  it('checks every tenant with the operator token, as JSON too', async () => {
    await addTenant('globex');
    deployment.tokens.set('globex/linear', { state: 'connected', identity: 'bot@globex' });

    const result = await factory(['check'], { FACTORY_OPERATOR_TOKEN: OPERATOR_TOKEN });

    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').slice(0, 5)).toEqual([
      'TENANT  PROVIDER  ROLE    STATUS        MISSING SCOPES  FIX',
      `acme    linear    intake  ✗ needs-auth                  factory connect linear --remote ${deployment.url} --tenant acme`,
      `acme    github    output  ✗ needs-auth                  factory connect github --remote ${deployment.url} --tenant acme`,
      'globex  linear    intake  ✓ connected',
      `globex  github    output  ✗ needs-auth                  factory connect github --remote ${deployment.url} --tenant globex`,
    ]);
    const json = await factory(['check', '--json', '--tenant', 'globex'], {
      FACTORY_OPERATOR_TOKEN: OPERATOR_TOKEN,
    });
    expect(JSON.parse(json.stdout)).toEqual({
      ok: false,
      remote: deployment.url,
      providers: [
        { tenant: 'globex', provider: 'linear', role: 'intake', state: 'connected', identity: 'bot@globex' },
        {
          tenant: 'globex',
          provider: 'github',
          role: 'output',
          state: 'needs-auth',
          reason: 'github is not signed in',
          fix: `factory connect github --remote ${deployment.url} --tenant globex`,
        },
      ],
    });
  });

  it('exits 0 once every provider is connected', async () => {
    deployment.tokens.set('acme/linear', { state: 'connected', identity: 'bot@acme' });
    deployment.tokens.set('acme/github', { state: 'connected', identity: 'bot@acme' });
    const result = await factory(['check', '--tenant', 'acme']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('github    output  ✓ connected');
  });

  it('says which tenant is unknown', async () => {
    const result = await factory(['check', '--tenant', 'initech'], {
      FACTORY_OPERATOR_TOKEN: OPERATOR_TOKEN,
    });
    expect(result.code).toBe(1);
    expectOneLineError(
      result.stderr,
      `${host} answered 404 to GET /admin/tenants/initech/connections: unknown tenant`,
    );
  });
});

describe('factory connect --remote', () => {
  it('opens the vendor in the browser; the vendor comes back to the deployed app, and check shows it connected', async () => {
    const result = await factory(['connect', 'linear', '--tenant', 'acme']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [opened] = (await readFile(browser.log, 'utf8')).trim().split('\n');
    expect(opened).toMatch(new RegExp(`^${deployment.vendor.url}/authorize\\?`));
    // The vendor was told to come back to the deployed app, not to this machine.
    expect(new URL(opened ?? '').searchParams.get('redirect_uri')).toBe(
      `${deployment.url}/t/acme/connect/linear/callback`,
    );
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      'To connect linear for tenant acme (scopes: read, write), open this URL in a browser (opening it now):',
      opened,
      `Waiting up to 10 min for the linear sign-in of tenant acme to finish on ${host}; Ctrl-C stops waiting.`,
      'linear: ✓ connected as bot@acme (scopes: read, write)',
    ]);
    expect(deployment.connectorOf('acme').begun).toEqual([
      {
        provider: 'linear',
        scopes: undefined,
        redirectUri: `${deployment.url}/t/acme/connect/linear/callback`,
      },
    ]);
    const check = await factory(['check', '--tenant', 'acme']);
    expect(check.stdout).toContain('linear    intake  ✓ connected');
    expectNoSecrets([result.stdout, result.stderr, check.stdout], secrets());
  });

  it('shows the device code, and waits at the interval the app gives until the person has entered it', async () => {
    const connect = new FactoryProcess(
      ['connect', 'github', '--tenant', 'acme', '--remote', deployment.url],
      {
        cwd: dir,
        env: asAcme(),
      },
    );
    try {
      const shown = await eventually(
        () =>
          /enter the code (\S+) \(scopes: repo\)\./.exec(connect.stdout) ??
          (connect.child.exitCode !== null ? null : undefined),
      );
      expect(shown, connect.stderr).not.toBeNull();
      const code = shown?.[1] ?? '';
      expect(connect.stdout).toContain(
        `To connect github for tenant acme, open ${deployment.vendor.url}/device and enter the code ${code} (scopes: repo).`,
      );

      deployment.vendor.enterCode(code);

      expect((await connect.exited).code).toBe(0);
      expect(connect.stdout.trimEnd().split('\n').at(-1)).toBe(
        'github: ✓ connected as bot@acme (scopes: repo)',
      );
      expect(await readFile(browser.log, 'utf8').catch(() => '')).toBe('');
    } finally {
      connect.kill('SIGKILL');
    }
  });

  it('asks for the scopes given, with the operator token as well', async () => {
    const result = await factory(['connect', 'linear', '--tenant', 'acme', '--scopes', 'read'], {
      FACTORY_OPERATOR_TOKEN: OPERATOR_TOKEN,
      BROWSER: browser.command,
    });
    expect(result.code).toBe(0);
    expect(deployment.connectorOf('acme').begun.map((begun) => begun.scopes)).toEqual([['read']]);
    expect(result.stdout).toContain('linear: ✓ connected as bot@acme (scopes: read)');
  });

  it('says the sign-in failed when the person denies it at the vendor, and exits 1', async () => {
    deployment.vendor.deny = true;
    const result = await factory(['connect', 'linear', '--tenant', 'acme']);
    expect(result.code).toBe(1);
    expectOneLineError(
      result.stderr,
      'the linear sign-in of tenant acme failed: the vendor said: access_denied',
    );
    expect(deployment.tokens.size).toBe(0);
  });

  it('stops when the sign-in expires unfinished', async () => {
    await deployment.stop();
    deployment = await new RemoteDeployment({ signInTtlMs: 1_000 }).start();
    acmeToken = await addTenant('acme');
    const nobody = path.join(dir, 'nobody.sh');
    await writeFile(nobody, '#!/bin/sh\nexit 0\n');
    await chmod(nobody, 0o755);

    const result = await factory(['connect', 'linear', '--tenant', 'acme'], { ...asAcme(), BROWSER: nobody });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Waiting up to 1 min');
    expectOneLineError(
      result.stderr,
      'the linear sign-in of tenant acme expired before it was completed; run the command again',
    );
  });

  it('Ctrl-C stops waiting cleanly', async () => {
    const nobody = path.join(dir, 'nobody.sh');
    await writeFile(nobody, '#!/bin/sh\nexit 0\n');
    await chmod(nobody, 0o755);
    const connect = new FactoryProcess(
      ['connect', 'linear', '--tenant', 'acme', '--remote', deployment.url],
      {
        cwd: dir,
        env: { ...asAcme(), BROWSER: nobody },
      },
    );
    try {
      await eventually(() =>
        connect.stdout.includes('Ctrl-C stops waiting') || connect.child.exitCode !== null ? true : undefined,
      );

      connect.kill('SIGINT');

      expect((await connect.exited).code).toBe(1);
      expectOneLineError(connect.stderr, 'stopped waiting for the linear sign-in of tenant acme');
    } finally {
      connect.kill('SIGKILL');
    }
  });

  it('names a provider the tenant cannot sign in to remotely', async () => {
    const result = await factory(['connect', 'slack', '--tenant', 'acme']);
    expect(result.code).toBe(1);
    expectOneLineError(
      result.stderr,
      `${host} answered 404 to POST /admin/tenants/acme/connect/slack: tenant "acme" has no provider "slack" that can be signed in to remotely`,
    );
  });
});
