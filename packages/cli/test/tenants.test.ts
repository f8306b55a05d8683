// biome-ignore-all lint/suspicious/noTemplateCurlyInString: tenant files hold ${ENV_VAR} references literally.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runFactory } from './support/factory-process.ts';
import { expectNoSecrets, expectOneLineError } from './support/onboarding-vendors.ts';
import { OPERATOR_TOKEN, PINNED_ADMIN_TOKEN, RemoteDeployment } from './support/remote-deployment.ts';
import { testFolder } from './support/temp-folder.ts';

const ACME = `# The acme team, as an entry of a config's tenants: list.
id: acme
intentProvider: linear
clarificationChannel: { type: slack, channel: C0123456789 }
outputTarget: github
fleet:
  type: http
  url: https://agents.example.com/factory
  secret: \${FLEET_SECRET}
`;

let deployment: RemoteDeployment;
let dir: string;
let host: string;

beforeEach(async () => {
  deployment = await new RemoteDeployment({ pinned: 'legacy' }).start();
  host = new URL(deployment.url).host;
  dir = await testFolder('factory-tenants-');
  await writeFile(path.join(dir, 'acme.yaml'), ACME);
});
afterEach(async () => {
  await deployment.stop();
});

const factory = (
  args: readonly string[],
  env: Record<string, string> = { FACTORY_OPERATOR_TOKEN: OPERATOR_TOKEN },
) => runFactory([...args, '--remote', deployment.url], { cwd: dir, env });

/** `tenants add acme.yaml` as the operator; the admin token it printed. */
async function addAcme(): Promise<string> {
  const result = await factory(['tenants', 'add', 'acme.yaml']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const lines = result.stdout.split('\n');
  return lines[lines.findIndex((line) => line.includes('shown only now')) + 1] ?? '';
}

describe('factory tenants add', () => {
  it('adds the tenant, prints its admin token once and says it is shown only now', async () => {
    const result = await factory(['tenants', 'add', 'acme.yaml']);

    expect(result.code).toBe(0);
    const token = result.stdout.split('\n')[3] ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.stdout).toBe(
      [
        `Added tenant acme to ${host} (version 1).`,
        '',
        "The tenant's admin token, shown only now (the deployment keeps only its hash); keep it where you keep passwords:",
        token,
        '',
        'Next: see what the tenant still needs, and sign in to each provider that needs it',
        '(with that token in FACTORY_ADMIN_TOKEN, or with the operator token):',
        `  factory check --remote ${deployment.url} --tenant acme`,
        `  factory connect <provider> --remote ${deployment.url} --tenant acme`,
        '',
      ].join('\n'),
    );
    const stored = await deployment.directory.get('acme');
    expect(stored?.version).toBe(1);
    expect(stored?.config).toEqual({
      intentProvider: 'linear',
      clarificationChannel: { type: 'slack', channel: 'C0123456789' },
      outputTarget: 'github',
      fleet: { type: 'http', url: 'https://agents.example.com/factory', secret: '${FLEET_SECRET}' },
    });
    // The token printed is the tenant's: it reads its own tenant.
    const show = await factory(['tenants', 'show', 'acme'], { FACTORY_ADMIN_TOKEN: token });
    expect(show.code).toBe(0);
  });

  it('takes a file without id with --tenant, and JSON as well as YAML', async () => {
    const { id: _id, ...rest } = parse(ACME) as Record<string, unknown>;
    await writeFile(path.join(dir, 'globex.json'), JSON.stringify(rest));

    const result = await factory(['tenants', 'add', 'globex.json', '--tenant', 'globex', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ id: 'globex', version: 1, adminToken: expect.any(String) });
    expect(await deployment.directory.list()).toEqual(['globex']);
  });

  it('prints each problem of a refused config on its own line, exits 1 and stores nothing', async () => {
    const literal = 'lin_api_literal_secret_0123456789';
    await writeFile(
      path.join(dir, 'bad.yaml'),
      ACME.replace('intentProvider: linear', `intentProvider: { type: linear, apiKey: ${literal} }`).replace(
        'outputTarget: github',
        'outputTarget: gitlabb',
      ),
    );

    const result = await factory(['tenants', 'add', 'bad.yaml']);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const [first, ...issues] = result.stderr.trimEnd().split('\n');
    expect(first).toBe(`factory: ${host} answered 422 to POST /admin/tenants: invalid tenant config`);
    expect(issues).toEqual([
      expect.stringMatching(/^ {2}intentProvider\.apiKey: is a secret and takes no literal value/),
      '  outputTarget: expected one of: github, gitlab (a name, or a mapping with `type:` and its settings), got "gitlabb"',
    ]);
    expectNoSecrets([result.stderr], [literal, OPERATOR_TOKEN]);
    expect(await deployment.directory.list()).toEqual([]);
  });

  it('says the tenant exists (409), and that a tenant of the config is changed there', async () => {
    await addAcme();
    const again = await factory(['tenants', 'add', 'acme.yaml']);
    expect(again.code).toBe(1);
    expectOneLineError(again.stderr, `${host} answered 409 to POST /admin/tenants: tenant "acme" exists`);

    const pinned = await factory(['tenants', 'add', 'acme.yaml', '--tenant', 'legacy']);
    expect(pinned.code).toBe(2);
    expectOneLineError(pinned.stderr, 'acme.yaml is tenant acme, not --tenant legacy');
  });

  it('names the variable whose token was refused, never the token', async () => {
    const wrong = 'not-the-operator-token-0123456789abcdef';
    const result = await factory(['tenants', 'add', 'acme.yaml'], { FACTORY_OPERATOR_TOKEN: wrong });
    expect(result.code).toBe(1);
    expectOneLineError(
      result.stderr,
      `${host} answered 401 to POST /admin/tenants: wrong operator token; the token in FACTORY_OPERATOR_TOKEN was not accepted`,
    );
    expectNoSecrets([result.stdout, result.stderr], [wrong]);
    expect(await deployment.directory.list()).toEqual([]);
  });
});

describe('factory tenants list, show and remove', () => {
  it('lists the tenants of the config and of the store, with their versions', async () => {
    await addAcme();
    const result = await factory(['tenants', 'list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      ['TENANT  ORIGIN  VERSION', 'acme    store   1', 'legacy  config', ''].join('\n'),
    );
    const json = await factory(['tenants', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      tenants: [
        { id: 'acme', origin: 'store', version: 1 },
        { id: 'legacy', origin: 'config' },
      ],
    });
  });

  it('shows a stored config as YAML that adds the same tenant again', async () => {
    const token = await addAcme();

    const result = await factory(['tenants', 'show', 'acme'], { FACTORY_ADMIN_TOKEN: token });

    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(`# Tenant acme, version 1 (origin: store), on ${host}`);
    expect(parse(result.stdout)).toEqual(parse(ACME));
    expectNoSecrets([result.stdout], [token]);
  });

  it('says a tenant of the config is changed in the config', async () => {
    const result = await factory(['tenants', 'show', 'legacy'], { FACTORY_ADMIN_TOKEN: PINNED_ADMIN_TOKEN });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "# Tenant legacy is defined in the deployment's config (origin: config); change it there and deploy again.\n",
    );
  });

  it("keeps one tenant's admin token to its own tenant", async () => {
    const token = await addAcme();
    const result = await factory(['tenants', 'show', 'legacy'], { FACTORY_ADMIN_TOKEN: token });
    expect(result.code).toBe(1);
    expectOneLineError(
      result.stderr,
      `${host} answered 401 to GET /admin/tenants/legacy: wrong token; the token in FACTORY_ADMIN_TOKEN was not accepted`,
    );
    expectNoSecrets([result.stdout, result.stderr], [token]);
    // Listing is the operator's.
    const list = await factory(['tenants', 'list', '--token-env', 'FACTORY_ADMIN_TOKEN'], {
      FACTORY_ADMIN_TOKEN: token,
    });
    expect(list.code).toBe(1);
    expectOneLineError(list.stderr, 'the token in FACTORY_ADMIN_TOKEN was not accepted');
  });

  it('removes a tenant with --yes; a second remove says there is no such tenant', async () => {
    await addAcme();

    const removed = await factory(['tenants', 'remove', 'acme', '--yes']);

    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe(`Removed tenant acme from ${host}.\n`);
    expect(await deployment.directory.list()).toEqual([]);
    const again = await factory(['tenants', 'remove', 'acme', '--yes']);
    expect(again.code).toBe(1);
    expectOneLineError(again.stderr, `${host} answered 404 to DELETE /admin/tenants/acme`);
    const list = await factory(['tenants', 'list']);
    expect(list.stdout).toBe(['TENANT  ORIGIN  VERSION', 'legacy  config', ''].join('\n'));
  });

  it('refuses to remove a tenant of the config', async () => {
    const result = await factory(['tenants', 'remove', 'legacy', '--yes']);
    expect(result.code).toBe(1);
    expectOneLineError(
      result.stderr,
      `${host} answered 409 to DELETE /admin/tenants/legacy: tenant "legacy" is defined in the deployment's config; change it there`,
    );
  });
});
