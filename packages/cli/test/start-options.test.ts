import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { queuedIn } from '@software-factory/sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_WORK_ITEMS, workItemPath, writeWorkItem } from '../src/demo/demo-work-items.ts';
import { SqliteStateStore } from '../src/sqlite-state-store.ts';
import { FactoryProcess } from './support/factory-process.ts';

const running: FactoryProcess[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGKILL');
    await factory.exited;
  }
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(prefix: string): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

describe('factory start --dry-run', () => {
  it('logs the plan of each event in full and writes nothing: no state, no agent, no tracker change', async () => {
    const cwd = await tempFolder('factory-dry-run-');
    const mountDir = path.join(cwd, 'workspace');
    await mkdir(mountDir);
    const [clear] = DEMO_WORK_ITEMS;
    if (!clear) throw new Error('no demo item');
    await writeWorkItem(mountDir, clear);
    const before = await readFile(path.join(mountDir, workItemPath(clear)), 'utf8');

    const factory = new FactoryProcess(['start', '--port', '0', '--mount', 'workspace', '--dry-run'], {
      cwd,
    });
    running.push(factory);
    const started = await factory.waitForLog((line) => line.msg === 'factory started');
    expect(started.dryRun).toBe(true);
    const planned = await factory.waitForLog((line) => line.msg === 'dry run plan');
    const plan = planned.plan as { action: string; workItemKey?: string; detail: Record<string, unknown> }[];
    expect(plan.map((write) => write.action).sort()).toEqual(['comment', 'set-state', 'spawn']);
    expect(plan.every((write) => write.workItemKey === clear.key)).toBe(true);
    expect(String(plan.find((write) => write.action === 'spawn')?.detail.task)).toContain(clear.title);

    factory.kill('SIGTERM');
    expect(await factory.exited).toEqual({ code: 0, signal: null });
    expect(await readFile(path.join(mountDir, workItemPath(clear)), 'utf8')).toBe(before);
    const store = new SqliteStateStore(path.join(cwd, '.factory/state.sqlite'));
    try {
      expect((await store.listRecords('local', { limit: 10 })).records).toEqual([]);
      expect(await queuedIn(store, 'local')).toEqual([]);
    } finally {
      store.close();
    }
  });
});

describe('the built-in local setup and FACTORY_ADMIN_TOKEN', () => {
  it('opens the dashboard routes with the token from the environment, and only with it', async () => {
    const cwd = await tempFolder('factory-admin-');
    await mkdir(path.join(cwd, 'workspace'));
    const token = 'admin-token-from-the-environment';
    const factory = new FactoryProcess(['start', '--port', '0', '--mount', 'workspace'], {
      cwd,
      env: { FACTORY_ADMIN_TOKEN: token },
    });
    running.push(factory);
    const url = await factory.url();
    const open = await fetch(`${url}/t/local/status.json`, { headers: { authorization: `Bearer ${token}` } });
    expect(open.status).toBe(200);
    expect(await open.json()).toMatchObject({ tenant: 'local' });
    const wrong = await fetch(`${url}/t/local/status.json`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(factory.stdout).not.toContain(token);
  });

  it('keeps the dashboard off without it', async () => {
    const cwd = await tempFolder('factory-admin-');
    await mkdir(path.join(cwd, 'workspace'));
    const factory = new FactoryProcess(['start', '--port', '0', '--mount', 'workspace'], { cwd });
    running.push(factory);
    const url = await factory.url();
    const closed = await fetch(`${url}/t/local/status.json`, {
      headers: { authorization: 'Bearer anything' },
    });
    expect(closed.status).not.toBe(200);
  });
});
