// biome-ignore-all lint/suspicious/noTemplateCurlyInString: tenant files hold ${ENV_VAR} references literally.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runFactory } from './support/factory-process.ts';
import { expectOneLineError } from './support/onboarding-vendors.ts';
import { type RecordingServer, startRecordingServer } from './support/recording-server.ts';
import { testFolder } from './support/temp-folder.ts';

const FACTORY_BIN = fileURLToPath(new URL('../bin/factory.js', import.meta.url));
const OPERATOR_TOKEN = 'operator-token-0123456789abcdefghijklmnop';
const ADMIN_TOKEN = 'admin-token-0123456789abcdefghijklmnopqrs';

/** Stands at --remote: any request that reaches it means bad input was sent on. */
let server: RecordingServer;
let dir: string;

beforeAll(async () => {
  server = await startRecordingServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  server.requests.length = 0;
  dir = await testFolder('factory-remote-args-');
  await writeFile(path.join(dir, 'acme.yaml'), 'id: acme\nintentProvider: linear\n');
  await writeFile(path.join(dir, 'no-id.yaml'), 'intentProvider: linear\n');
  await writeFile(path.join(dir, 'broken.yaml'), 'id: acme\nintentProvider: [linear\n');
  await writeFile(path.join(dir, 'list.yaml'), '- id: acme\n- id: globex\n');
  await writeFile(path.join(dir, 'whole.yaml'), 'tenants:\n  - id: acme\n    intentProvider: linear\n');
  await writeFile(path.join(dir, 'bad-id.json'), '{ "id": "acme corp", "intentProvider": "linear" }');
});

/** Placeholders the table uses: the recording server's URL, and a file in the test's folder. */
const fill = (arg: string) => arg.replace('<remote>', server.url).replace(/^@/, `${dir}/`);
const factory = (args: readonly string[], env: Record<string, string>) =>
  runFactory(args.map(fill), { cwd: dir, env });
const OPERATOR = { FACTORY_OPERATOR_TOKEN: OPERATOR_TOKEN };

describe('remote commands: wrong input is one line, exit 2, and nothing is sent', () => {
  it.each([
    // The URL
    [['tenants', 'list'], OPERATOR, "required option '--remote <url>' not specified"],
    [
      ['tenants', 'list', '--remote', 'factory.example.com'],
      OPERATOR,
      'expected the URL of the deployed factory',
    ],
    [
      ['tenants', 'list', '--remote', 'ftp://factory.example.com'],
      OPERATOR,
      'expected an https:// URL, not ftp:',
    ],
    [
      ['tenants', 'list', '--remote', 'http://factory.example.com'],
      OPERATOR,
      'plain http to factory.example.com would send the admin token in clear; use https://',
    ],
    [['check', '--remote', 'http://192.168.1.20:8080'], OPERATOR, 'plain http to 192.168.1.20:8080'],
    [
      ['connect', 'linear', '--tenant', 'acme', '--remote', 'http://factory.example.com'],
      OPERATOR,
      'in clear',
    ],
    [
      ['tenants', 'list', '--remote', 'https://op:pw@factory.example.com'],
      OPERATOR,
      'without user or password',
    ],
    // The subcommand
    [['tenants', 'rename', 'acme', '--remote', '<remote>'], OPERATOR, "unknown command 'rename'"],
    [['tenants', 'lsit', '--remote', '<remote>'], OPERATOR, '(Did you mean list?)'],
    // The token
    [
      ['tenants', 'list', '--remote', '<remote>'],
      {},
      "set FACTORY_OPERATOR_TOKEN to the deployment's operator token",
    ],
    [['tenants', 'list', '--remote', '<remote>', '--token-env', 'MY_TOKEN'], OPERATOR, 'set MY_TOKEN'],
    [
      ['tenants', 'list', '--remote', '<remote>', '--token-env', 'MY TOKEN'],
      OPERATOR,
      'expected the name of an environment variable',
    ],
    [
      ['tenants', 'list', '--remote', '<remote>'],
      { FACTORY_OPERATOR_TOKEN: 'short' },
      'FACTORY_OPERATOR_TOKEN is shorter than 32 characters',
    ],
    [
      ['tenants', 'list', '--remote', '<remote>'],
      { FACTORY_OPERATOR_TOKEN: `${OPERATOR_TOKEN} x` },
      'FACTORY_OPERATOR_TOKEN holds spaces or characters a token cannot have',
    ],
    [
      ['check', '--remote', '<remote>', '--tenant', 'acme'],
      {},
      "set FACTORY_ADMIN_TOKEN (the tenant's admin token) or FACTORY_OPERATOR_TOKEN (the deployment's operator token)",
    ],
    [['connect', 'linear', '--remote', '<remote>', '--tenant', 'acme'], {}, 'set FACTORY_ADMIN_TOKEN'],
    [
      ['check', '--remote', '<remote>'],
      { FACTORY_ADMIN_TOKEN: ADMIN_TOKEN },
      "FACTORY_ADMIN_TOKEN is one tenant's admin token: pass --tenant <id>",
    ],
    // The tenant
    [['tenants', 'show', 'acme/../globex', '--remote', '<remote>'], OPERATOR, 'expected a tenant id'],
    [['tenants', 'remove', '-acme', '--remote', '<remote>', '--yes'], OPERATOR, "unknown option '-acme'"],
    [['check', '--remote', '<remote>', '--tenant', 'acme corp'], OPERATOR, 'expected a tenant id'],
    [
      ['connect', 'linear', '--remote', '<remote>', '--tenant', 'acme!'],
      OPERATOR,
      '--tenant acme!: expected a tenant id',
    ],
    [['connect', 'linear', '--remote', '<remote>'], OPERATOR, '--remote needs --tenant <id>'],
    // The provider and the scopes
    [
      ['connect', 'Linear!', '--remote', '<remote>', '--tenant', 'acme'],
      OPERATOR,
      'expected a provider name',
    ],
    [
      ['connect', 'linear', '--remote', '<remote>', '--tenant', 'acme', '--scopes', ' , '],
      OPERATOR,
      'expected scopes separated by commas',
    ],
    [
      ['connect', 'linear', '--remote', '<remote>', '--tenant', 'acme', '--scopes', 'read write'],
      OPERATOR,
      'expected scopes',
    ],
    // What only goes with a local run, or only with --remote
    [
      ['check', '--remote', '<remote>', '--config', 'factory.config.yaml'],
      OPERATOR,
      "option '-c, --config <file>' cannot be used with option '--remote <url>'",
    ],
    [
      ['connect', 'linear', '--remote', '<remote>', '--tenant', 'acme', '--redirect-port', '8080'],
      OPERATOR,
      'cannot be used with option',
    ],
    [['check', '--tenant', 'acme'], OPERATOR, '--tenant goes with --remote <url>'],
    [['check', '--token-env', 'MY_TOKEN'], OPERATOR, '--token-env goes with --remote <url>'],
    [['connect', 'linear', '--token-env', 'MY_TOKEN'], OPERATOR, '--token-env goes with --remote <url>'],
    // The tenant file
    [['tenants', 'add', '--remote', '<remote>'], OPERATOR, "missing required argument 'file'"],
    [['tenants', 'add', '@missing.yaml', '--remote', '<remote>'], OPERATOR, 'missing.yaml: no such file'],
    [['tenants', 'add', '@', '--remote', '<remote>'], OPERATOR, 'is a folder'],
    [
      ['tenants', 'add', '@broken.yaml', '--remote', '<remote>'],
      OPERATOR,
      'broken.yaml:3:1 is not YAML or JSON',
    ],
    [['tenants', 'add', '@list.yaml', '--remote', '<remote>'], OPERATOR, 'list.yaml must hold one tenant'],
    [
      ['tenants', 'add', '@whole.yaml', '--remote', '<remote>'],
      OPERATOR,
      'whole.yaml is a whole config (it has tenants:)',
    ],
    [
      ['tenants', 'add', '@no-id.yaml', '--remote', '<remote>'],
      OPERATOR,
      'no-id.yaml has no id: add `id: <tenant>` to it, or pass --tenant <id>',
    ],
    [
      ['tenants', 'add', '@acme.yaml', '--tenant', 'globex', '--remote', '<remote>'],
      OPERATOR,
      'acme.yaml is tenant acme, not --tenant globex',
    ],
    [
      ['tenants', 'add', '@bad-id.json', '--remote', '<remote>'],
      OPERATOR,
      'bad-id.json: id must be letters, digits',
    ],
    [
      ['tenants', 'add', '@no-id.yaml', '--tenant', 'a b', '--remote', '<remote>'],
      OPERATOR,
      'expected a tenant id',
    ],
    // Removing without saying so
    [['tenants', 'remove', 'acme', '--remote', '<remote>'], OPERATOR, 'removing tenant acme from 127.0.0.1'],
  ] as const)('factory %j %j', async (args, env, message) => {
    const result = await factory(args, env);

    expect(result.code).toBe(2);
    expectOneLineError(result.stderr, message);
    expect(result.stdout).toBe('');
    expect(server.requests).toEqual([]);
    for (const token of [OPERATOR_TOKEN, ADMIN_TOKEN]) expect(result.stderr).not.toContain(token);
  });

  it('tenants remove without --yes says why and how to go on', async () => {
    const result = await factory(['tenants', 'remove', 'acme', '--remote', '<remote>'], OPERATOR);
    expect(result.stderr).toContain('cannot be undone');
    expect(result.stderr).toContain('run it again with --yes');
  });

  it('reads a tenant file from standard input (-)', async () => {
    const result = spawnSync(process.execPath, [FACTORY_BIN, 'tenants', 'add', '-', '--remote', server.url], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...OPERATOR },
      input: 'intentProvider: linear\n',
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expectOneLineError(result.stderr, 'standard input has no id');
    expect(server.requests).toEqual([]);
  });
});
