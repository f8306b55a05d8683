import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_WORK_ITEMS, writeWorkItem } from '../src/demo/demo-work-items.ts';
import { eventually, FactoryProcess } from './support/factory-process.ts';

// `factory start --mount` keeps work-item text and answers in .factory/ (the SQLite file and its WAL,
// the fleet's tasks and logs, the worktrees): only the user who runs it may read them, whatever the
// umask it was started with.

let cwd: string;
let factory: FactoryProcess | undefined;

beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'factory-modes-'));
  await mkdir(path.join(cwd, 'workspace'));
});

afterEach(async () => {
  factory?.kill('SIGKILL');
  await factory?.exited;
  factory = undefined;
  await rm(cwd, { recursive: true, force: true });
});

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe.skipIf(process.platform === 'win32')('factory start --mount: private state', () => {
  it('state.sqlite, -wal, -shm and the fleet’s files are 0600 in 0700 folders after an item was dispatched, under umask 000', async () => {
    // The child inherits the umask it is spawned under: the most permissive one.
    const umask = process.umask(0);
    try {
      factory = new FactoryProcess(['start', '--port', '0', '--mount', 'workspace'], { cwd });
    } finally {
      process.umask(umask);
    }
    await factory.url();
    const [clear] = DEMO_WORK_ITEMS;
    await writeWorkItem(path.join(cwd, 'workspace'), clear!);
    await factory.waitForLog(
      (line) =>
        line.msg === 'work item changed' && line.workItemId === clear!.id && line.status === 'dispatched',
    );

    const state = path.join(cwd, '.factory');
    const agents = path.join(state, 'fleet', 'agents');
    const agentDir = await eventually(() => {
      const [agentId] = existsSync(agents) ? readdirSync(agents) : [];
      const dir = agentId ? path.join(agents, agentId) : undefined;
      // Started: the wrapper has written its pid and opened the log.
      return dir && existsSync(path.join(dir, 'wrapper.pid')) && existsSync(path.join(dir, 'agent.log'))
        ? dir
        : undefined;
    });

    const database = path.join(state, 'state.sqlite');
    const files = [
      database,
      `${database}-wal`,
      `${database}-shm`,
      ...readdirSync(agentDir)
        .filter((name) => !name.endsWith('.tmp'))
        .map((name) => path.join(agentDir, name)),
    ];
    expect(files.map((file) => path.basename(file))).toEqual(
      expect.arrayContaining(['TASK.md', 'agent.json', 'run.json', 'agent.log', 'wrapper.pid', 'claim.json']),
    );
    const folders = [
      state,
      path.join(state, 'fleet'),
      agents,
      agentDir,
      path.join(state, 'fleet', 'worktrees'),
      path.join(state, 'demo-repo'),
    ];
    // One comparison, so a failure shows every mode and what the factory printed.
    const seen = {
      files: files.map((file) => [path.relative(cwd, file), modeOf(file).toString(8)]),
      folders: folders.map((folder) => [path.relative(cwd, folder), modeOf(folder).toString(8)]),
      stderr: factory.stderr,
    };
    expect(seen).toEqual({
      files: files.map((file) => [path.relative(cwd, file), '600']),
      folders: folders.map((folder) => [path.relative(cwd, folder), '700']),
      stderr: '',
    });
  });
});
