import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, FactoryProcess, runFactory } from './support/factory-process.ts';
import {
  issueFile,
  type RelayfileServer,
  relayfileEnv,
  startRelayfile,
  TRACKER_STATES,
  writeRelayfileConfig,
} from './support/relayfile-config.ts';
import { testFolder } from './support/temp-folder.ts';

let acme: RelayfileServer;
let beta: RelayfileServer;
let env: Record<string, string>;
let config: { dir: string; file: string };
const running: FactoryProcess[] = [];
const handlers: Server[] = [];

beforeEach(async () => {
  acme = await startRelayfile({ workspaceId: 'ws_acme', token: 'rf_acme_token_never_printed' });
  beta = await startRelayfile({ workspaceId: 'ws_beta', token: 'rf_beta_token_never_printed' });
  env = relayfileEnv({ ACME_: acme, BETA_: beta });
  config = await writeRelayfileConfig([
    {
      id: 'acme',
      server: acme,
      tokenVariable: 'ACME_RELAYFILE_TOKEN',
      secretVariable: 'ACME_RELAYFILE_WEBHOOK_SECRET',
    },
    // Only its pull requests come through relayfile; its tracker and chat are direct.
    {
      id: 'beta',
      server: beta,
      tokenVariable: 'BETA_RELAYFILE_TOKEN',
      secretVariable: 'BETA_RELAYFILE_WEBHOOK_SECRET',
      relayfileRoles: ['code'],
    },
    { id: 'gamma', directory: 'workspace' },
  ]);
});

afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGKILL');
    await factory.exited;
  }
  for (const handler of handlers.splice(0)) {
    handler.closeAllConnections();
    await new Promise((resolve) => handler.close(resolve));
  }
  await acme.stop();
  await beta.stop();
});

function subscribe(args: string[], extraEnv: Record<string, string> = {}) {
  return runFactory(['subscribe', '--config', config.file, ...args], {
    cwd: config.dir,
    env: { ...env, ...extraEnv },
  });
}

/** A webhook endpoint on loopback that answers with whatever status `answer` holds at the time. */
async function endpoint(answer: { status: number }) {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(answer.status).end());
  });
  handlers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function expectNoSecrets(output: string): void {
  for (const secret of Object.values(env)) expect(output).not.toContain(secret);
}

describe('factory subscribe', () => {
  it('registers each relayfile tenant’s webhook with the globs its providers own, and a re-run changes nothing', async () => {
    const first = await subscribe(['--url', 'https://factory.example.com/']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    const [acmeHook, ...moreAcme] = acme.subscriptions.values();
    expect(moreAcme).toEqual([]);
    expect(acmeHook).toMatchObject({
      url: 'https://factory.example.com/t/acme/webhooks/relayfile',
      pathGlobs: [
        '/github/repos/Codertocat/Hello-World/pulls/*/meta.json',
        '/linear/issues/*',
        // relayfile's sync writes a channel's records under the bare id when it does not know the name.
        '/slack/channels/C111/**',
        '/slack/channels/C111__general/**',
      ],
      // The secret the tenant's webhook source verifies: the config's reference, resolved.
      secret: env.ACME_RELAYFILE_WEBHOOK_SECRET,
    });
    const [betaHook, ...moreBeta] = beta.subscriptions.values();
    expect(moreBeta).toEqual([]);
    expect(betaHook).toMatchObject({
      url: 'https://factory.example.com/t/beta/webhooks/relayfile',
      pathGlobs: ['/github/repos/Codertocat/Hello-World/pulls/*/meta.json'],
      secret: env.BETA_RELAYFILE_WEBHOOK_SECRET,
    });
    expect(first.stdout).toContain(
      `acme: registered ${acmeHook?.id} → https://factory.example.com/t/acme/webhooks/relayfile`,
    );
    expect(first.stdout).toContain('  /linear/issues/*');
    expect(first.stdout).not.toContain('gamma');
    expectNoSecrets(first.stdout);

    const again = await subscribe(['--url', 'https://factory.example.com']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`acme: already registered, unchanged: ${acmeHook?.id}`);
    expect(again.stdout).toContain(`beta: already registered, unchanged: ${betaHook?.id}`);
    expect([...acme.subscriptions.keys()]).toEqual([acmeHook?.id]);
    expect([...beta.subscriptions.keys()]).toEqual([betaHook?.id]);
  });

  it('registers at the config’s server.publicUrl when --url is not given (and --url still wins)', async () => {
    const text = await readFile(config.file, 'utf8');
    await writeFile(
      config.file,
      text.replace(
        /^server: \{ host: 127\.0\.0\.1, port: (\d+) \}$/m,
        'server: { host: 127.0.0.1, port: $1, publicUrl: "https://factory.example.com/base" }',
      ),
    );

    const { code, stdout, stderr } = await subscribe(['--tenant', 'beta']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [hook] = beta.subscriptions.values();
    expect(hook?.url).toBe('https://factory.example.com/base/t/beta/webhooks/relayfile');
    expect(stdout).toContain(
      `beta: registered ${hook?.id} → https://factory.example.com/base/t/beta/webhooks/relayfile`,
    );

    const given = await subscribe(['--tenant', 'beta', '--url', 'https://other.example.com']);
    expect(given.code).toBe(0);
    expect([...beta.subscriptions.values()].map((entry) => entry.url)).toContain(
      'https://other.example.com/t/beta/webhooks/relayfile',
    );
  });

  it('refuses a server.publicUrl relayfile could not post to, naming the field', async () => {
    const text = await readFile(config.file, 'utf8');
    await writeFile(
      config.file,
      text.replace(
        /^server: \{ host: 127\.0\.0\.1, port: (\d+) \}$/m,
        'server: { host: 127.0.0.1, port: $1, publicUrl: "http://factory.example.com" }',
      ),
    );
    const { code, stderr } = await subscribe([]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `factory: server.publicUrl "http://factory.example.com": relayfile's cloud would refuse to post there (it is http, and relayfile delivers only to https)`,
    );
    expect(acme.subscriptions.size).toBe(0);
  });

  it('keeps the path the factory is served under, and acts on one tenant with --tenant', async () => {
    const { code, stdout } = await subscribe(['--url', 'https://example.com/factory/', '--tenant', 'beta']);
    expect(code).toBe(0);
    expect(stdout).not.toContain('acme');
    expect(acme.subscriptions.size).toBe(0);
    expect([...beta.subscriptions.values()].map((hook) => hook.url)).toEqual([
      'https://example.com/factory/t/beta/webhooks/relayfile',
    ]);
  });

  it('replaces the registration when the configured providers own other paths', async () => {
    await subscribe(['--url', 'https://factory.example.com', '--tenant', 'beta']);
    const [old] = beta.subscriptions.keys();
    config = await writeRelayfileConfig([
      {
        id: 'beta',
        server: beta,
        tokenVariable: 'BETA_RELAYFILE_TOKEN',
        secretVariable: 'BETA_RELAYFILE_WEBHOOK_SECRET',
        relayfileRoles: ['code'],
        repositories: ['Codertocat/Hello-World', 'acme/app'],
      },
    ]);
    const { code, stdout } = await subscribe(['--url', 'https://factory.example.com']);
    expect(code).toBe(0);
    const [now, ...others] = beta.subscriptions.values();
    expect(others).toEqual([]);
    expect(now?.id).not.toBe(old);
    expect(now?.pathGlobs).toEqual([
      '/github/repos/Codertocat/Hello-World/pulls/*/meta.json',
      '/github/repos/acme/app/pulls/*/meta.json',
    ]);
    expect(stdout).toContain(`beta: registered (replacing ${old}): ${now?.id}`);
  });

  it('registers the URL and secret a running `factory start` with the same config accepts', async () => {
    const factory = new FactoryProcess(['start', '--config', config.file], { cwd: config.dir, env });
    running.push(factory);
    const url = await factory.url();
    // The factory listens on 127.0.0.1: relayfile's cloud would refuse it, this loopback relayfile does not.
    expect((await subscribe(['--url', url, '--tenant', 'acme', '--allow-insecure-url'])).code).toBe(0);

    const issue = issueFile();
    acme.putFile(issue.path, issue.content);
    await acme.deliveriesSettled();
    // The factory verified the signature and dispatched: the issue moved to In Progress through relayfile.
    await eventually(
      () =>
        (acme.json(issue.path)?.state as { id?: string })?.id === TRACKER_STATES.inProgress.id || undefined,
    );
    const [hook] = acme.subscriptions.values();
    expect(hook?.health).toMatchObject({ consecutiveFailures: 0, lastError: null });
    expect(acme.deadLetters).toEqual([]);
    expectNoSecrets(factory.stdout + factory.stderr);
  });

  it('lists the registrations of every relayfile tenant', async () => {
    await subscribe(['--url', 'https://factory.example.com']);
    const { code, stdout } = await subscribe(['--list']);
    expect(code).toBe(0);
    const [acmeHook] = acme.subscriptions.values();
    expect(stdout).toContain('acme: 1 webhook in workspace ws_acme');
    expect(stdout).toContain(
      `  ${acmeHook?.id}  https://factory.example.com/t/acme/webhooks/relayfile  no delivery yet`,
    );
    expect(stdout).toContain('beta: 1 webhook in workspace ws_beta');
    expectNoSecrets(stdout);
  });

  it('deletes a registration by id, and says so when there is none with that id', async () => {
    await subscribe(['--url', 'https://factory.example.com', '--tenant', 'acme']);
    const [id] = acme.subscriptions.keys();
    const deleted = await subscribe(['--delete', String(id), '--tenant', 'acme']);
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    expect(deleted.stdout).toBe(`acme: deleted webhook ${id} in workspace ws_acme\n`);
    expect(acme.subscriptions.size).toBe(0);

    const again = await subscribe(['--delete', String(id), '--tenant', 'acme']);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`factory: tenant acme: no webhook ${id}\n`);
  });

  it('shows the deliveries relayfile gave up on and replays them once the factory answers', async () => {
    const answer = { status: 503 };
    const url = await endpoint(answer);
    await subscribe(['--url', url, '--tenant', 'acme', '--allow-insecure-url']);
    const issue = issueFile();
    acme.putFile(issue.path, issue.content);
    await acme.deliveriesSettled();

    const shown = await subscribe(['--dead-letters', '--tenant', 'acme']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('acme: 1 dead-lettered delivery in workspace ws_acme');
    expect(shown.stdout).toMatch(
      / {2}dlv_1 {2}dead_lettered {2}event evt_000001 {2}3 attempts, 0 replays .*503/,
    );

    answer.status = 200;
    const replayed = await subscribe(['--replay', 'dlv_1', '--tenant', 'acme']);
    expect(replayed).toMatchObject({ code: 0, stdout: 'acme: queued 1 delivery again: dlv_1\n' });
    await acme.deliveriesSettled();
    expect(acme.deadLetters[0]).toMatchObject({ status: 'delivered', replayCount: 1 });

    const nothingLeft = await subscribe(['--replay', 'all', '--tenant', 'acme']);
    expect(nothingLeft).toMatchObject({ code: 0, stdout: 'acme: no dead-lettered deliveries to replay\n' });
    const unknown = await subscribe(['--replay', 'dlv_99', '--tenant', 'acme']);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: 'factory: tenant acme: no dead-lettered delivery dlv_99\n',
    });
  });

  // AgentWorkforce/relayfile@380bc0f8 internal/httpapi/server.go: the self-hosted server routes no
  // `webhooks` and answers 404 "route not found"; it pushes changes over its WebSocket only.
  it('says a self-hosted relayfile has no outbound webhooks and points at `factory relay` (relayfile/internal/httpapi/server.go@380bc0f8)', async () => {
    const selfHosted = await startRelayfile({
      workspaceId: 'ws_acme',
      token: acme.token,
      outboundWebhooks: false,
    });
    try {
      config = await writeRelayfileConfig([
        {
          id: 'acme',
          server: selfHosted,
          tokenVariable: 'ACME_RELAYFILE_TOKEN',
          secretVariable: 'ACME_RELAYFILE_WEBHOOK_SECRET',
        },
      ]);
      for (const args of [['--url', 'https://factory.example.com'], ['--list'], ['--dead-letters']]) {
        const { code, stdout, stderr } = await subscribe(args);
        expect(code).toBe(2);
        expect(stdout).toBe('');
        expect(stderr).toBe(
          `factory: tenant acme: relayfile at ${selfHosted.url} has no outbound webhooks (it answered 404 "route not found" on its webhooks route; the self-hosted relayfile pushes changes only over its WebSocket): run \`factory relay --tenant acme\` next to the factory instead\n`,
        );
      }
      expect(selfHosted.subscriptions.size).toBe(0);
    } finally {
      await selfHosted.stop();
    }
  });

  it('fails with one line naming the tenant when relayfile refuses the token, printing no secret', async () => {
    const { code, stdout, stderr } = await subscribe(['--list', '--tenant', 'acme'], {
      ACME_RELAYFILE_TOKEN: 'rf_wrong_token_never_printed',
    });
    expect(code).toBe(1);
    expect(stderr).toBe(
      'factory: tenant acme: relayfile refused the token for workspace ws_acme (401); check the variable mount.token names\n',
    );
    expect(stdout).toBe('');
    expect(stderr).not.toContain('rf_wrong_token_never_printed');
  });

  const BAD: { args: string[]; says: string; env?: Record<string, string> }[] = [
    {
      args: [],
      says: "--url <base> is required to register, or server.publicUrl in the config: the factory's public base URL that relayfile can reach",
    },
    { args: ['--url', 'factory.example.com'], says: '--url "factory.example.com" is not a URL' },
    {
      args: ['--url', 'ftp://factory.example.com'],
      says: '--url "ftp://factory.example.com" must be an http(s) URL',
    },
    {
      args: ['--url', 'https://factory.example.com/?token=abc'],
      says: '--url must not carry a query string',
    },
    { args: ['--url', 'https://me:pw@factory.example.com'], says: '--url must not carry credentials' },
    // relayfile's cloud refuses these (relayfile scripts/conformance.ts@380bc0f8, "SSRF rejection").
    {
      args: ['--url', 'http://factory.example.com'],
      says: `--url "http://factory.example.com": relayfile's cloud would refuse to post there (it is http, and relayfile delivers only to https). Give the factory's public https URL, or run \`factory relay\``,
    },
    {
      args: ['--url', 'https://localhost:8080'],
      says: "relayfile's cloud would refuse to post there (localhost is this machine (loopback))",
    },
    {
      args: ['--url', 'https://192.168.1.5/factory'],
      says: '(192.168.1.5 is a private network address)',
    },
    { args: ['--url', 'https://factory.example.com/#x'], says: 'must not carry a #fragment' },
    { args: ['--url', 'https://f.example', '--tenant', 'nope'], says: '--tenant nope: no such tenant in' },
    {
      args: ['--url', 'https://f.example', '--tenant', 'gamma'],
      says: '--tenant gamma: this tenant has no relayfile mount',
    },
    {
      args: ['--list', '--dead-letters'],
      says: "option '--dead-letters' cannot be used with option '--list'",
    },
    {
      args: ['--list', '--url', 'https://f.example'],
      says: "option '--url <base>' cannot be used with option '--list'",
    },
    { args: ['--delete'], says: "option '--delete <id>' argument missing" },
    { args: ['--delete', 'whs/../x'], says: 'expected an id of letters, digits' },
    { args: ['--replay', '?all'], says: 'expected an id of letters, digits' },
    {
      args: ['--delete', 'whs_1'],
      says: 'several tenants read through relayfile (acme, beta): choose one with --tenant',
    },
    { args: ['--replay', 'all'], says: 'choose one with --tenant' },
    { args: ['--bogus'], says: "unknown option '--bogus'" },
    { args: ['now'], says: "too many arguments for 'subscribe'" },
    {
      args: ['--url', 'https://f.example'],
      env: { ACME_RELAYFILE_TOKEN: '' },
      says: 'mount.token: environment variable ACME_RELAYFILE_TOKEN is empty',
    },
  ];
  it.each(BAD)(
    'refuses `subscribe $args` with one line and exit code 2, registering nothing',
    async ({ args, says, env: extra }) => {
      const { code, stdout, stderr } = await subscribe(args, extra);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(says);
      expect(stderr.startsWith('factory: ')).toBe(true);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(acme.subscriptions.size + beta.subscriptions.size).toBe(0);
      expectNoSecrets(stderr);
    },
  );

  it('needs a config: without one here it says how to give one', async () => {
    const empty = await testFolder('factory-subscribe-');
    const { code, stderr } = await runFactory(['subscribe', '--url', 'https://f.example'], {
      cwd: empty,
      env,
    });
    expect(code).toBe(2);
    expect(stderr).toBe('factory: no factory.config.yaml here; pass --config <file>\n');
  });

  it('refuses to register a relayfile mount that no provider reads through', async () => {
    config = await writeRelayfileConfig([{ id: 'acme', server: acme, relayfileRoles: [] }]);
    const { code, stdout, stderr } = await subscribe(['--url', 'https://f.example'], {
      RELAYFILE_TOKEN: acme.token,
      RELAYFILE_WEBHOOK_SECRET: 'acme-relay-signing-secret-for-tests',
    });
    expect(code).toBe(2);
    expect(stderr).toBe(
      'factory: tenant acme has a relayfile mount but no provider with transport: relayfile, so no paths to subscribe\n',
    );
    expect(stdout).toBe('');
    expect(acme.subscriptions.size).toBe(0);
  });

  it('says so when no tenant of the config reads through relayfile', async () => {
    config = await writeRelayfileConfig([{ id: 'gamma', directory: 'workspace' }]);
    const { code, stderr } = await subscribe(['--list']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^factory: no tenant in .*factory\.config\.yaml reads through relayfile/);
  });
});
