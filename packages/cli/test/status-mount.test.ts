import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sampleRecord, sampleWorkItem } from '@software-factory/sdk/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDemoRepository } from '../src/local-setup.ts';
import { SqliteStateStore } from '../src/sqlite-state-store.ts';
import { FactoryProcess, runFactory } from './support/factory-process.ts';

// `factory status` takes the --config and --mount of `factory start`, so that it looks at the factory
// `factory start` runs: `start --mount ./workspace` without a config keeps its state in ./.factory/.

let cwd: string;
const running: FactoryProcess[] = [];

beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'factory-status-mount-'));
  await mkdir(path.join(cwd, 'workspace'));
});
afterEach(async () => {
  for (const factory of running.splice(0)) {
    factory.kill('SIGTERM');
    await factory.exited;
  }
  await rm(cwd, { recursive: true, force: true });
});

/** An item the built-in setup's tenant (`local`) finished, where `factory start --mount` keeps it. */
async function seedLocalState(stateDir: string, tenant = 'local'): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const store = new SqliteStateStore(path.join(stateDir, 'state.sqlite'));
  const now = Date.now();
  await store.commit(tenant, {
    record: sampleRecord('item-1', {
      status: 'done',
      reason: 'done',
      item: sampleWorkItem({ id: 'item-1', key: 'DEMO-1', title: 'Add a dark mode toggle' }),
      output: { id: 'acme/demo#1', url: 'https://github.com/acme/demo/pull/1', state: 'ready' },
      createdAt: now - 60_000,
      updatedAt: now,
    }),
  });
  store.close();
}

const status = (args: string[]) => runFactory(['status', ...args], { cwd });

describe('factory status --mount (no config file): the built-in local setup of `factory start --mount`', () => {
  it('reads the state `factory start --mount ./workspace` keeps in ./.factory/', async () => {
    await seedLocalState(path.join(cwd, '.factory'));

    const result = await status(['--mount', './workspace', '--json']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [local] = JSON.parse(result.stdout).tenants;
    expect(local).toMatchObject({ tenant: 'local', recentDone: [{ key: 'DEMO-1' }] });
  });

  it('reads it beside a running `factory start --mount ./workspace`', async () => {
    await seedLocalState(path.join(cwd, '.factory'));
    const factory = new FactoryProcess(['start', '--mount', './workspace', '--port', '0'], { cwd });
    running.push(factory);
    await factory.url();

    const result = await status(['--mount', './workspace']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('tenant local');
    expect(result.stdout).toMatch(/recent done \(1\)\n {2}DEMO-1 /);
  });

  it('says where it looked when `factory start --mount` never ran here, and creates nothing', async () => {
    const result = await status(['--mount', './workspace']);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `factory: no factory state in ${path.join(cwd, '.factory')}: run this where \`factory start --mount\` runs (it keeps its state in ./.factory/), or pass --config <file>\n`,
    );
    expect(existsSync(path.join(cwd, '.factory'))).toBe(false);
  });

  it('refuses a --mount folder that is not there, as start does', async () => {
    const result = await status(['--mount', './nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('factory: --mount ./nope: no such folder\n');
  });
});

describe('factory status --config <file> --mount <dir>', () => {
  it('reads the store of the config named, its mount replaced by --mount as start does', async () => {
    ensureDemoRepository(path.join(cwd, 'repo'));
    await mkdir(path.join(cwd, 'elsewhere'));
    await writeFile(
      path.join(cwd, 'team.yaml'),
      `tenant: acme
stateStore: { type: sqlite, path: state/state.sqlite }
intentProvider: { type: linear, transport: relayfile, stateIds: { dispatched: s1, done: s2 } }
clarificationChannel: { type: slack, transport: relayfile, channel: C0ACME }
outputTarget: { type: github, transport: relayfile }
mount: { type: directory, path: elsewhere }
fleet: { type: local, command: ["true"], repository: repo }
`,
    );
    await seedLocalState(path.join(cwd, 'state'), 'acme');

    const result = await status(['--config', 'team.yaml', '--mount', './workspace', '--json']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).tenants[0]).toMatchObject({
      tenant: 'acme',
      recentDone: [{ key: 'DEMO-1' }],
    });
  });

  it('names the tenants it has when --tenant names another', async () => {
    await seedLocalState(path.join(cwd, '.factory'));
    const result = await status(['--mount', './workspace', '--tenant', 'acme']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'factory: --tenant acme: no such tenant in <built-in local setup> (it has local)\n',
    );
  });
});
