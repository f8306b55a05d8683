import { mkdir, rename, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_WORK_ITEMS, workItemPath, writeWorkItem } from '../src/demo/demo-work-items.ts';
import { localSetupYaml } from '../src/local-setup.ts';
import { FactoryProcess, runFactory } from './support/factory-process.ts';
import { testFolder } from './support/temp-folder.ts';

let cwd: string;
let mountDir: string;
const running: FactoryProcess[] = [];

beforeEach(async () => {
  cwd = await testFolder('factory-start-');
  mountDir = path.join(cwd, 'workspace');
  await mkdir(mountDir);
});

afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGKILL');
    await factory.exited;
  }
});

function start(args: string[], env: Record<string, string> = {}): FactoryProcess {
  const factory = new FactoryProcess(['start', '--port', '0', ...args], { cwd, env });
  running.push(factory);
  return factory;
}

describe('factory start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('answers /healthz and stops cleanly on %s', async (signal) => {
    const adminToken = 'admin-token-of-the-start-test-0000001';
    const factory = start(['--mount', 'workspace'], { FACTORY_ADMIN_TOKEN: adminToken });
    const url = await factory.url();
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', version: expect.any(String) });
    // The detail is the tenant's, behind its admin token.
    const detail = await fetch(`${url}/t/local/healthz`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(detail.status).toBe(200);
    expect(await detail.json()).toMatchObject({
      status: 'ok',
      store: { ok: true },
      tenant: { id: 'local', processing: true },
    });

    factory.kill(signal);
    expect(await factory.exited).toEqual({ code: 0, signal: null });
    expect(factory.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['stopping', 'stopped']));
    expect(factory.logs.find((line) => line.msg === 'stopped')?.signal).toBe(signal);
    expect(factory.stderr).toBe('');
  });

  it('finishes a request in flight on SIGTERM and takes no new ones', async () => {
    const factory = start(['--mount', 'workspace', '--log-level', 'debug']);
    const { hostname, port } = new URL(await factory.url());
    // A webhook whose body is still arriving when the signal comes.
    const inFlight = request({
      host: hostname,
      port,
      method: 'POST',
      path: '/t/local/webhooks/github',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    const answered = new Promise<number>((resolve, reject) => {
      inFlight.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      inFlight.on('error', reject);
    });
    inFlight.write('{"zen":');
    await factory.waitForLog((line) => line.msg === 'request' && line.path === '/t/local/webhooks/github');
    factory.kill('SIGTERM');
    await factory.waitForLog((line) => line.msg === 'stopping');
    await expect(fetch(`http://${hostname}:${port}/healthz`)).rejects.toThrow();
    inFlight.end('"ok"}');
    // This tenant reads the code host through the folder: no `github` webhook, so a clear 404.
    expect(await answered).toBe(404);
    expect(await factory.exited).toEqual({ code: 0, signal: null });
  });

  it('runs a work item dropped into the folder, and logs one line for a malformed one without stopping', async () => {
    const factory = start(['--mount', 'workspace', '--log-level', 'debug']);
    await factory.url();
    const broken = path.join(mountDir, '/linear/issues/DEMO-9__6f1c3a52-0d6e-4c4f-9a51-000000000009.json');
    await mkdir(path.dirname(broken), { recursive: true });
    // Written whole, as a sync tool would, so the folder holds exactly one broken revision.
    await writeFile(`${broken}.partial`, '{ "id": "6f1c3a52-0d6e-4c4f-9a51-000000000009", "title": ');
    await rename(`${broken}.partial`, broken);
    const complaint = await factory.waitForLog((line) => line.msg === 'cannot read a mounted file');
    expect(complaint).toMatchObject({
      level: 'error',
      path: '/linear/issues/DEMO-9__6f1c3a52-0d6e-4c4f-9a51-000000000009.json',
      error: expect.stringMatching(/^not valid JSON/),
    });

    const [clear] = DEMO_WORK_ITEMS;
    await writeWorkItem(mountDir, clear!);
    const handled = await factory.waitForLog(
      (line) =>
        line.msg === 'work item changed' && line.workItemId === clear!.id && line.status === 'dispatched',
    );
    expect(handled.level).toBe('info');
    const health = await fetch(`${await factory.url()}/healthz`);
    expect(health.status).toBe(200);
    expect(factory.logs.filter((line) => line.level === 'error')).toHaveLength(1);
    expect(workItemPath(clear!)).toMatch(/^\/linear\/issues\//);
  });
});

describe('factory start refuses what it cannot run, with one line', () => {
  async function configFile(yaml: string): Promise<string> {
    const file = path.join(cwd, 'factory.config.yaml');
    await writeFile(file, yaml);
    return file;
  }

  const setup = () => ({
    mountDir,
    stateDir: path.join(cwd, 'state'),
    repository: path.join(cwd, 'repository'),
  });

  it('a missing agent command: exit 2', async () => {
    const yaml = localSetupYaml(setup()).replace(/command: \[.*\]/, 'command: [/no/such/agent, --go]');
    await configFile(yaml);
    await mkdir(path.join(cwd, 'repository'));
    const { code, stderr, stdout } = await runFactory(['start', '--port', '0'], { cwd });
    expect(code).toBe(2);
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).toMatch(
      /^factory: tenant local: .*agent command "\/no\/such\/agent" is not an executable file\n$/,
    );
    expect(stdout).toBe('');
  });

  it('an unwritable state path: exit 1', async () => {
    const blocker = path.join(cwd, 'a-file');
    await writeFile(blocker, 'not a folder');
    const yaml = localSetupYaml(setup()).replace(
      /stateStore: .*/,
      `stateStore: { type: sqlite, path: ${JSON.stringify(path.join(blocker, 'state.sqlite'))} }`,
    );
    await configFile(yaml);
    const { code, stderr } = await runFactory(['start', '--port', '0'], { cwd });
    expect(code).toBe(1);
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).toMatch(
      new RegExp(
        `^factory: cannot open the state store at ${literally(path.join(blocker, 'state.sqlite'))} \\(.+\\); set stateStore.path to a writable file\\n$`,
      ),
    );
  });

  it('a port in use: exit 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const { code, stderr } = await runFactory(['start', '--mount', 'workspace', '--port', String(port)], {
        cwd,
      });
      expect(code).toBe(1);
      expect(stderr).toBe(
        `factory: port ${port} on 127.0.0.1 is already in use; stop what uses it, or choose another with --port or server.port\n`,
      );
    } finally {
      taken.close();
    }
  });
});

function literally(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
