import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDemoRepository, localSetupYaml } from '../src/local-setup.ts';
import { FactoryProcess, runFactory } from './support/factory-process.ts';

// Issue #19, through `factory start` as a user runs it.

const ADMIN_TOKEN = 'admin-token-of-the-hardening-test-000001';

let cwd: string;
const running: FactoryProcess[] = [];

beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'factory-hardening-'));
  await mkdir(path.join(cwd, 'workspace'));
});

afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGKILL');
    await factory.exited;
  }
  await rm(cwd, { recursive: true, force: true });
});

/** The resident memory of a process, in bytes, from /proc/<pid>/status. */
async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kib) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/**
 * POSTs `total` bytes as a chunked body (no Content-Length), 1 MiB at a time as fast as the server
 * takes them, until they are all sent or the server answers or drops the connection.
 */
function postChunked(url: string, total: number): Promise<{ status?: number; sent: number }> {
  return new Promise((resolve) => {
    let sent = 0;
    let settled = false;
    const done = (status?: number) => {
      if (settled) return;
      settled = true;
      outgoing.destroy();
      resolve({ ...(status !== undefined ? { status } : {}), sent });
    };
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const outgoing = request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'transfer-encoding': 'chunked',
      },
    });
    outgoing.on('response', (response) => {
      response.resume();
      done(response.statusCode);
    });
    outgoing.on('error', () => done());
    const pump = () => {
      while (!settled && sent < total) {
        sent += chunk.byteLength;
        if (!outgoing.write(chunk)) return void outgoing.once('drain', pump);
      }
      if (!settled) outgoing.end();
    };
    pump();
  });
}

describe('factory start under the attack run of issue #19', () => {
  it('answers a 100 MB chunked login body with 413 and stays within 50 MB of its memory', async () => {
    const factory = new FactoryProcess(['start', '--port', '0', '--mount', 'workspace'], {
      cwd,
      env: { FACTORY_ADMIN_TOKEN: ADMIN_TOKEN },
    });
    running.push(factory);
    const url = await factory.url();
    const pid = factory.child.pid as number;
    // Warm up the route once, so what is measured is the body, not the first request's code loading.
    await postChunked(`${url}/t/local/login`, 8 * 1024 * 1024);
    const before = await residentBytes(pid);

    const answer = await postChunked(`${url}/t/local/login`, 100 * 1024 * 1024);
    const after = await residentBytes(pid);

    expect(answer.status).toBe(413);
    expect(after - before).toBeLessThan(50 * 1024 * 1024);
    // Still serving.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 60_000);

  it('`factory sessions revoke --tenant` ends the dashboard sessions of a running factory', async () => {
    const repository = path.join(cwd, 'repository');
    ensureDemoRepository(repository);
    const yaml = localSetupYaml({
      mountDir: path.join(cwd, 'workspace'),
      stateDir: path.join(cwd, '.factory'),
      repository,
      env: { FACTORY_ADMIN_TOKEN: ADMIN_TOKEN },
    });
    await writeFile(path.join(cwd, 'factory.config.yaml'), yaml);
    const env = { FACTORY_ADMIN_TOKEN: ADMIN_TOKEN };
    const factory = new FactoryProcess(['start', '--port', '0'], { cwd, env });
    running.push(factory);
    const url = await factory.url();

    const login = await fetch(`${url}/t/local/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      headers: { origin: url },
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const status = () => fetch(`${url}/t/local/status.json`, { headers: { cookie } });
    expect((await status()).status).toBe(200);

    const revoked = await runFactory(['sessions', 'revoke', '--tenant', 'local'], { cwd, env });
    expect(revoked).toEqual({
      code: 0,
      stdout: 'ended every dashboard session of tenant local (session epoch 1)\n',
      stderr: '',
    });
    expect((await status()).status).toBe(401);
  }, 60_000);

  it('`factory sessions revoke` names a tenant the config does not have, and a missing --tenant', async () => {
    const repository = path.join(cwd, 'repository');
    const yaml = localSetupYaml({ mountDir: path.join(cwd, 'workspace'), stateDir: cwd, repository });
    await writeFile(path.join(cwd, 'factory.config.yaml'), yaml);
    const unknown = await runFactory(['sessions', 'revoke', '--tenant', 'nobody'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'factory: --tenant nobody: no such tenant in factory.config.yaml (it has local)\n',
    );
    const missing = await runFactory(['sessions', 'revoke'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("factory: required option '--tenant <id>' not specified\n");
  });
});
