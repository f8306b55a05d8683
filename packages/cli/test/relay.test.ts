import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, FactoryProcess, type LogLine, runFactory } from './support/factory-process.ts';
import {
  issueFile,
  type RelayfileServer,
  relayfileEnv,
  startRelayfile,
  TRACKER_STATES,
  writeRelayfileConfig,
} from './support/relayfile-config.ts';

let relayfile: RelayfileServer;
let env: Record<string, string>;
let config: { dir: string; file: string };
const running: FactoryProcess[] = [];

beforeEach(async () => {
  relayfile = await startRelayfile();
  env = relayfileEnv({ '': relayfile });
  config = await writeRelayfileConfig([{ id: 'acme', server: relayfile }]);
});

afterEach(async () => {
  for (const process of running.splice(0)) {
    process.kill('SIGKILL');
    await process.exited;
  }
  await relayfile.stop();
});

function factory(args: string[], extraEnv: Record<string, string> = {}): FactoryProcess {
  const started = new FactoryProcess(args, { cwd: config.dir, env: { ...env, ...extraEnv } });
  running.push(started);
  return started;
}

const relayStarted = (line: LogLine) => line.msg === 'relay started';
const webSocketOpen = (line: LogLine) => line.msg === 'websocket open';

/** A port nothing listens on right now, for a config whose server port must be known in advance. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const movedToInProgress = (path: string) => () =>
  (relayfile.json(path)?.state as { id?: string } | undefined)?.id === TRACKER_STATES.inProgress.id ||
  undefined;

function expectNoSecrets(output: string): void {
  for (const secret of Object.values(env)) expect(output).not.toContain(secret);
}

describe('factory relay', () => {
  it('relays changes from relayfile’s WebSocket to `factory start`, stops on SIGTERM keeping its place, and resumes from it', async () => {
    const port = await freePort();
    config = await writeRelayfileConfig([{ id: 'acme', server: relayfile }], { port });
    const start = factory(['start', '--config', config.file]);
    await start.url();
    // No --url: it posts where `factory start` listens with the same config.
    const relay = factory(['relay', '--config', config.file, '--port', '0']);
    const started = await relay.waitForLog(relayStarted);
    expect(started).toMatchObject({
      tenant: 'acme',
      workspace: relayfile.workspaceId,
      handlerUrl: `http://127.0.0.1:${port}/t/acme/webhooks/relayfile`,
      cursorFile: path.join(config.dir, '.factory', 'relay', 'acme.cursor.json'),
      pathGlobs: [
        '/github/repos/Codertocat/Hello-World/pulls/*/meta.json',
        '/linear/issues/*',
        '/slack/channels/C111/**',
        '/slack/channels/C111__general/**',
      ],
    });
    await relay.waitForLog(webSocketOpen);

    const first = issueFile({ id: 'item-1', number: 1 });
    relayfile.putFile(first.path, first.content);
    // The factory took the change and dispatched: it moved the issue and commented through relayfile.
    await eventually(movedToInProgress(first.path));
    await eventually(() => relayfile.paths('/linear/issues/item-1/comments/').length === 1 || undefined);

    const health = await fetch(String(started.health));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', mode: 'websocket' });

    relay.kill('SIGTERM');
    expect(await relay.exited).toEqual({ code: 0, signal: null });
    const stopped = relay.logs.find((line) => line.msg === 'relay stopped');
    expect(stopped).toMatchObject({ tenant: 'acme', signal: 'SIGTERM' });
    const saved = JSON.parse(await readFile(String(started.cursorFile), 'utf8')) as { cursor: string };
    expect(saved.cursor).toBe(stopped?.cursor);

    // A change while no relay runs is delivered by the next one, from the saved cursor.
    const second = issueFile({ id: 'item-2', number: 2 });
    relayfile.putFile(second.path, second.content);
    const again = factory(['relay', '--config', config.file, '--port', '0']);
    await again.waitForLog(webSocketOpen);
    await eventually(movedToInProgress(second.path));
    await eventually(() => relayfile.paths('/linear/issues/item-2/comments/').length === 1 || undefined);
    // The first item was not handled twice.
    expect(relayfile.paths('/linear/issues/item-1/comments/')).toHaveLength(1);

    again.kill('SIGTERM');
    expect(await again.exited).toEqual({ code: 0, signal: null });
    expect(relay.stderr + again.stderr).toBe('');
    expectNoSecrets(relay.stdout + again.stdout + start.stdout + start.stderr);
  });

  it('posts to the URL given with --url, under the path the factory is served at', async () => {
    const relay = factory([
      'relay',
      '--config',
      config.file,
      '--port',
      '0',
      '--url',
      'https://factory.example.com/f/',
    ]);
    expect(await relay.waitForLog(relayStarted)).toMatchObject({
      handlerUrl: 'https://factory.example.com/f/t/acme/webhooks/relayfile',
    });
    relay.kill('SIGINT');
    expect(await relay.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 1 with one line when its /healthz port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const { code, stderr } = await runFactory(['relay', '--config', config.file, '--port', String(port)], {
        cwd: config.dir,
        env,
      });
      expect(code).toBe(1);
      expect(stderr).toBe(`factory: --port ${port}: 127.0.0.1:${port} is already in use\n`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  const BAD: {
    args: string[];
    says: string;
    env?: Record<string, string>;
    config?: 'two relayfile tenants' | 'no relayfile provider';
  }[] = [
    { args: ['--tenant', 'nope'], says: 'factory: --tenant nope: no such tenant in' },
    {
      args: [],
      config: 'two relayfile tenants',
      says: 'factory: several tenants read through relayfile (acme, beta): choose one with --tenant',
    },
    {
      args: ['--port', 'eighty'],
      says: "argument 'eighty' is invalid. expected a port number from 0 to 65535.",
    },
    { args: ['--port', '70000'], says: 'expected a port number from 0 to 65535' },
    {
      args: ['--url', 'ftp://factory.example.com'],
      says: 'factory: --url "ftp://factory.example.com" must be an http(s) URL',
    },
    {
      args: ['--url', 'https://factory.example.com/?secret=1'],
      says: 'factory: --url must not carry a query string',
    },
    {
      args: ['--log-level', 'loud'],
      says: "argument 'loud' is invalid. Allowed choices are debug, info, warn, error.",
    },
    { args: ['--bogus'], says: "factory: unknown option '--bogus'" },
    { args: ['acme'], says: "factory: too many arguments for 'relay'" },
    {
      args: [],
      env: { RELAYFILE_WEBHOOK_SECRET: 'too-short' },
      says: "factory: the relay's settings from the config are not usable: secret: secret must be at least 16 characters",
    },
    {
      args: [],
      env: { RELAYFILE_TOKEN: '' },
      says: 'mount.token: environment variable RELAYFILE_TOKEN is empty',
    },
    {
      args: [],
      config: 'no relayfile provider',
      says: 'factory: tenant acme has a relayfile mount but no provider with transport: relayfile, so no paths to subscribe',
    },
  ];
  it.each(BAD)(
    'refuses `relay $args` with one line and exit code 2',
    async ({ args, says, env: extra, config: variant }) => {
      if (variant === 'two relayfile tenants')
        config = await writeRelayfileConfig([
          { id: 'acme', server: relayfile },
          { id: 'beta', server: relayfile },
        ]);
      if (variant === 'no relayfile provider')
        config = await writeRelayfileConfig([{ id: 'acme', server: relayfile, relayfileRoles: [] }]);
      const { code, stdout, stderr } = await runFactory(
        ['relay', '--config', config.file, '--port', '0', ...args],
        {
          cwd: config.dir,
          env: { ...env, ...extra },
        },
      );
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(says);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(relayfile.stats.webSocketOpened).toBe(0);
      expectNoSecrets(stderr);
    },
  );
});
