import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FilesystemEvent } from '@relayfile/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCursorFile } from '../src/cursor-file.ts';
import { type RelayWorker, type RelayWorkerMode, runRelayWorker } from '../src/relay-worker.ts';
import { parseRelayWorkerArgs } from '../src/relay-worker-cli.ts';
import { RelayWorkerOptionsError } from '../src/relay-worker-options.ts';
import { listen, relayfileTenant, SECRET, TENANT } from './support/factory-handler.ts';
import { issueFile, TRACKER_STATES } from './support/layout.ts';
import { RelayfileServer } from './support/relayfile-server.ts';
import { deferred, until } from './support/until.ts';

let server: RelayfileServer;
let folder: string;
let worker: RelayWorker | undefined;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  server = await new RelayfileServer().start();
  for (const state of Object.values(TRACKER_STATES)) server.trackerStates.set(state.id, state);
  folder = await mkdtemp(join(tmpdir(), 'factory-relay-worker-'));
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  for (const close of closers.splice(0)) await close();
  await server.stop();
  await rm(folder, { recursive: true, force: true });
});

function options(handlerUrl: string, overrides: Record<string, unknown> = {}) {
  return {
    workspace: server.workspaceId,
    token: server.token,
    baseUrl: server.url,
    handlerUrl,
    secret: SECRET,
    cursorFile: join(folder, 'cursor.json'),
    pathGlobs: ['/linear/issues/*'],
    port: 0,
    retryInitialMs: 5,
    retryMaxMs: 20,
    pollIntervalMs: 10,
    reprobeIntervalMs: 50,
    ...overrides,
  };
}

/** Starts the stream at the current tip, as a saved cursor would. */
async function cursorAtTip() {
  const baseline = server.putFile('/linear/issues/_index.json', '[]');
  await writeCursorFile(join(folder, 'cursor.json'), baseline.eventId);
  return baseline;
}

async function cursorFile() {
  return JSON.parse(await readFile(join(folder, 'cursor.json'), 'utf8')).cursor as string;
}

describe('the relay worker (in process)', () => {
  it('relays WebSocket events to the factory signed like relayfile webhooks; the factory dispatches', async () => {
    const tenant = relayfileTenant(server);
    const handler = await listen((request) => tenant.app.fetch(request));
    closers.push(handler.close);
    await cursorAtTip();
    const delivered: FilesystemEvent[] = [];
    worker = await runRelayWorker(options(`${handler.url}/t/${TENANT}/webhooks/relayfile`), {
      onDelivered: (event) => delivered.push(event),
    });
    await until(() => server.stats.webSocketOpened === 1);
    const file = issueFile();
    const event = server.putFile(file.path, file.content);
    await until(() => delivered.some((relayed) => relayed.eventId === event.eventId));
    expect((await tenant.store.getRecord(TENANT, file.record.id))?.status).toBe('dispatched');
    expect(delivered[0]).toMatchObject({ eventId: event.eventId, path: file.path });
    // The cursor is saved only past events the handler accepted (the write-back's own change may follow).
    expect((await cursorFile()) >= event.eventId).toBe(true);
    const health = await fetch(`http://127.0.0.1:${worker.port}/healthz`);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      mode: 'websocket',
      delivered: expect.any(Number),
    });
  });

  it('retries a refused delivery with backoff and moves the cursor only after a 2xx', async () => {
    const answers = [503, 500, 200];
    const attempts: string[] = [];
    const cursors: (string | undefined)[] = [];
    const handler = await listen(async (request) => {
      attempts.push(request.headers.get('x-relay-event-id') ?? '');
      cursors.push(await cursorFile());
      return new Response(null, { status: answers.shift() ?? 200 });
    });
    closers.push(handler.close);
    const baseline = await cursorAtTip();
    const done = deferred<FilesystemEvent>();
    worker = await runRelayWorker(options(handler.url), { onDelivered: done.resolve });
    await until(() => server.stats.webSocketOpened === 1);
    const event = server.putFile(issueFile().path, issueFile().content);
    expect(await done.promise).toMatchObject({ eventId: event.eventId });
    expect(attempts).toEqual([event.eventId, event.eventId, event.eventId]);
    expect(cursors).toEqual([baseline.eventId, baseline.eventId, baseline.eventId]);
    expect(await cursorFile()).toBe(event.eventId);
  });

  it('polls fs/events after 5 consecutive WebSocket failures and goes back to the WebSocket when it recovers', async () => {
    const received: string[] = [];
    const handler = await listen(async (request) => {
      received.push(request.headers.get('x-relay-event-id') ?? '');
      return new Response(null, { status: 200 });
    });
    closers.push(handler.close);
    await cursorAtTip();
    server.refuseWebSockets = true;
    const modes: RelayWorkerMode[] = [];
    const polling = deferred();
    const back = deferred();
    worker = await runRelayWorker(options(handler.url), {
      onModeChange: (mode) => {
        modes.push(mode);
        if (mode === 'polling') polling.resolve();
        if (mode === 'websocket') back.resolve();
      },
    });
    await polling.promise;
    expect(server.stats.webSocketRefused).toBe(5);
    expect(worker.status()).toMatchObject({ mode: 'polling', consecutiveWebSocketErrors: 5 });

    const whilePolling = server.putFile(issueFile({ id: 'polled-1', number: 101 }).path, '{}');
    await until(() => received.includes(whilePolling.eventId));
    expect(server.stats.webSocketOpened).toBe(0);
    expect(server.stats.eventsPolled).toBeGreaterThan(0);

    server.refuseWebSockets = false;
    await back.promise;
    expect(modes).toEqual(['polling', 'websocket']);
    const polls = server.stats.eventsPolled;
    const afterRecovery = server.putFile(issueFile({ id: 'pushed-1', number: 102 }).path, '{}');
    await until(() => received.includes(afterRecovery.eventId));
    expect(server.stats.eventsPolled).toBe(polls);
    expect(received.filter((id) => id === whilePolling.eventId)).toHaveLength(1);
  });

  it('stops on request: the socket closes, the health server closes, the cursor stays', async () => {
    const handler = await listen(() => new Response(null, { status: 200 }));
    closers.push(handler.close);
    const baseline = await cursorAtTip();
    worker = await runRelayWorker(options(handler.url));
    await until(() => server.stats.webSocketOpened === 1);
    const port = worker.port;
    await worker.stop();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(await cursorFile()).toBe(baseline.eventId);
  });
});

describe('the relay worker’s options', () => {
  it('rejects bad options naming each field, never echoing the token or the secret', async () => {
    const bad = {
      ...options('http://127.0.0.1:1/h'),
      token: '',
      secret: 'short',
      baseUrl: 'relayfile.example',
      handlerUrl: 'https://factory.example/h?secret=leak',
      pathGlobs: ['linear/**'],
      port: 70_000,
      extra: true,
    };
    const error = await runRelayWorker(bad).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RelayWorkerOptionsError);
    const problems = (error as RelayWorkerOptionsError).problems.join('\n');
    for (const field of ['token', 'secret', 'baseUrl', 'handlerUrl', 'pathGlobs', 'port', 'options'])
      expect(problems).toContain(field);
    expect(problems).not.toContain('short');
    expect(problems).not.toContain('leak');
  });

  it('refuses a cursor file that is not a cursor, instead of starting over', async () => {
    const path = join(folder, 'cursor.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(path, 'garbage'));
    await expect(runRelayWorker(options('http://127.0.0.1:1/h', { cursorFile: path }))).rejects.toThrow(
      /cursor file .* is not JSON/,
    );
  });

  describe('on the command line', () => {
    const env = { RELAYFILE_TOKEN: 'tok', FACTORY_RELAY_SECRET: 'a-long-enough-secret' };
    const argv = [
      '--workspace',
      'ws',
      '--base-url',
      'https://relayfile.example',
      '--handler-url',
      'https://factory.example/t/acme/webhooks/relayfile',
      '--cursor-file',
      '/tmp/c.json',
      '--path',
      '/linear/issues/*',
      '--path',
      '/github/**',
      '--port',
      '0',
    ];

    it('reads flags and takes secrets from the environment', () => {
      expect(parseRelayWorkerArgs(argv, env)).toMatchObject({
        workspace: 'ws',
        token: 'tok',
        secret: 'a-long-enough-secret',
        pathGlobs: ['/linear/issues/*', '/github/**'],
        port: 0,
        wsErrorThreshold: 5,
      });
    });

    it.each([
      [argv.filter((arg) => arg !== '--workspace' && arg !== 'ws'), {}, /--workspace/],
      [[...argv.slice(0, -2), '--port', 'eighty'], {}, /--port.*not a whole number/],
      [[...argv, '--bogus'], {}, /unknown option '--bogus'/],
      [argv, { RELAYFILE_TOKEN: undefined }, /RELAYFILE_TOKEN is not set/],
      [argv, { FACTORY_RELAY_SECRET: undefined }, /FACTORY_RELAY_SECRET is not set/],
      [[...argv, '--path', 'relative/*'], {}, /must start with \//],
    ])('refuses %j', (args, envOverride, message) => {
      expect(() => parseRelayWorkerArgs(args, { ...env, ...envOverride })).toThrow(message);
    });
  });
});
