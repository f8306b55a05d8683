import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REGISTER_SOURCES_URL } from '../../../scripts/workspace-sources.ts';
import { writeCursorFile } from '../src/cursor-file.ts';
import { listen, relayfileTenant, SECRET, TENANT } from './support/factory-handler.ts';
import { issueFile, TRACKER_STATES } from './support/layout.ts';
import { RelayfileServer } from './support/relayfile-server.ts';
import { deferred, until } from './support/until.ts';

const MAIN = fileURLToPath(new URL('../src/relay-worker-main.ts', import.meta.url));

let server: RelayfileServer;
let folder: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  server = await new RelayfileServer().start();
  for (const state of Object.values(TRACKER_STATES)) server.trackerStates.set(state.id, state);
  folder = await mkdtemp(join(tmpdir(), 'factory-relay-process-'));
});
afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server.stop();
  await rm(folder, { recursive: true, force: true });
});

interface Worker {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Runs the relay worker as its own process; secrets go in through the environment. */
function startWorker(
  handlerUrl: string,
  env: Record<string, string | undefined> = {},
  args: string[] = [],
): Worker {
  const child = spawn(
    process.execPath,
    [
      `--import=${REGISTER_SOURCES_URL}`,
      MAIN,
      '--workspace',
      server.workspaceId,
      '--base-url',
      server.url,
      '--handler-url',
      handlerUrl,
      '--cursor-file',
      join(folder, 'cursor.json'),
      '--path',
      '/linear/issues/*',
      '--port',
      '0',
      '--retry-initial-ms',
      '10',
      '--retry-max-ms',
      '50',
      ...args,
    ],
    {
      env: { ...process.env, RELAYFILE_TOKEN: server.token, FACTORY_RELAY_SECRET: SECRET, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
    lines.push(JSON.parse(line)),
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, exited, stderr: () => stderr };
}

const logged = (worker: Worker, message: string) => () => worker.lines.some((line) => line.msg === message);

describe('the relay worker as a process', () => {
  it('killed with SIGKILL mid-stream and restarted, it loses no event and the factory acts once per item', async () => {
    const tenant = relayfileTenant(server);
    const answers: { eventId: string; status: string }[] = [];
    const held = deferred();
    const release = deferred();
    let holding = true;
    const handler = await listen(async (request) => {
      const eventId = request.headers.get('x-relay-event-id') ?? '';
      const response = await tenant.app.fetch(request);
      const { status } = (await response.clone().json()) as { status: string };
      answers.push({ eventId, status });
      // The fifth item is processed, but its answer never reaches the worker: the worker dies first.
      if (holding && answers.filter((answer) => answer.status === 'processed').length === 5) {
        holding = false;
        held.resolve();
        await release.promise;
      }
      return response;
    });
    try {
      const baseline = server.putFile('/linear/issues/_index.json', '[]');
      await writeCursorFile(join(folder, 'cursor.json'), baseline.eventId);
      const first = startWorker(`${handler.url}/t/${TENANT}/webhooks/relayfile`);
      await until(logged(first, 'websocket open'));

      const items = Array.from({ length: 12 }, (_, index) =>
        issueFile({ id: `item-${100 + index}`, number: 100 + index }),
      );
      for (const item of items.slice(0, 8)) server.putFile(item.path, item.content);
      await held.promise;
      first.child.kill('SIGKILL');
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
      const heldEvent = answers.at(-1)?.eventId as string;
      release.resolve();

      // Changes keep coming while no worker runs.
      for (const item of items.slice(8)) server.putFile(item.path, item.content);

      const second = startWorker(`${handler.url}/t/${TENANT}/webhooks/relayfile`);
      await until(async () => {
        const statuses = await Promise.all(
          items.map((item) => tenant.store.getRecord(TENANT, item.record.id)),
        );
        return statuses.every((record) => record?.status === 'dispatched');
      });
      // Every change to an issue file (the factory's own write-backs included) reached the factory.
      const relevant = server.events.filter(
        (event) => /^\/linear\/issues\/[^/]+$/.test(event.path) && event.eventId > baseline.eventId,
      );
      await until(() =>
        relevant.every((event) => answers.some((answer) => answer.eventId === event.eventId)),
      );
      second.child.kill('SIGTERM');
      expect(await second.exited).toEqual({ code: 0, signal: null });

      expect(answers.filter((answer) => answer.eventId === heldEvent).map((answer) => answer.status)).toEqual(
        ['processed', 'duplicate'],
      );
      expect(tenant.fleet.agents.size).toBe(items.length);
      for (const item of items) {
        expect(tenant.fleet.agentsFor(item.record.id)).toHaveLength(1);
        expect(server.paths(`/linear/issues/${item.record.id}/comments/`)).toHaveLength(1);
      }
      const saved = JSON.parse(await readFile(join(folder, 'cursor.json'), 'utf8')).cursor as string;
      expect(saved >= (relevant.at(-1)?.eventId ?? '')).toBe(true);
    } finally {
      release.resolve();
      await handler.close();
    }
    // Two worker processes and twelve items: seconds on a quiet machine, more on a loaded one.
  }, 30_000);

  it('shuts down gracefully on SIGTERM and serves /healthz while it runs', async () => {
    const handler = await listen(() => new Response(null, { status: 200 }));
    try {
      const worker = startWorker(handler.url);
      await until(logged(worker, 'websocket open'));
      const port = worker.lines.find((line) => line.msg === 'relay worker listening')?.port;
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', mode: 'websocket' });
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toEqual({ code: 0, signal: null });
      expect(worker.lines.map((line) => line.msg)).toContain('relay worker stopping');
      const output = JSON.stringify(worker.lines) + worker.stderr();
      expect(output).not.toContain(server.token);
      expect(output).not.toContain(SECRET);
    } finally {
      await handler.close();
    }
  });

  it('exits with status 2 and a clear message for a missing secret, printing no token', async () => {
    const worker = startWorker('http://127.0.0.1:1/h', { FACTORY_RELAY_SECRET: '' });
    expect(await worker.exited).toEqual({ code: 2, signal: null });
    expect(worker.stderr()).toBe('relay-worker: FACTORY_RELAY_SECRET is not set\n');
    expect(worker.stderr()).not.toContain(server.token);
  });
});
