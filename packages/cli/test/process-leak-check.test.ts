// The run-wide process leak check (scripts/test-process-guard.ts, a globalSetup of the root
// vitest.config.ts): it finds the processes of a run, kills those left running, and fails the run.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canScanProcesses,
  findRunProcesses,
  isRunning,
  killLeakedProcesses,
  type TestRunMarker,
} from '../../../scripts/process-leaks.ts';

const VITEST = fileURLToPath(new URL('../../../node_modules/.bin/vitest', import.meta.url));
const GUARD = fileURLToPath(new URL('../../../scripts/test-process-guard.ts', import.meta.url));

const folders: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function tempFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

function marker(): TestRunMarker {
  return { runId: `leak-check-${process.pid}-${Date.now()}`, folder: tempFolder('factory-leak-marker-') };
}

/** A `sleep 60` of our own (killed after the test), with the given environment and working directory. */
function sleeper(env: NodeJS.ProcessEnv, cwd: string, detached = false): number {
  const child = spawn('sleep', ['60'], { env, cwd, detached, stdio: 'ignore' });
  children.push(child);
  return child.pid as number;
}

const MINIMAL_ENV = { PATH: process.env.PATH };

describe.skipIf(!canScanProcesses())('finding the processes of a test run', () => {
  it('finds one with the run variable, one in the run folder with a minimal environment, and no other', async () => {
    const run = marker();
    const elsewhere = tempFolder('factory-leak-elsewhere-');
    const withVariable = sleeper({ ...MINIMAL_ENV, FACTORY_TEST_RUN: run.runId }, elsewhere);
    const inFolder = sleeper(MINIMAL_ENV, run.folder);
    const withTmpdir = sleeper({ ...MINIMAL_ENV, TMPDIR: `${run.folder}/` }, elsewhere);
    const unrelated = sleeper({ ...MINIMAL_ENV, FACTORY_TEST_RUN: 'another-run' }, elsewhere);

    const found = findRunProcesses(run) ?? [];
    const byPid = new Map(found.map((found) => [found.pid, found]));
    expect(byPid.get(withVariable)).toMatchObject({
      commandLine: 'sleep 60',
      reason: `has FACTORY_TEST_RUN=${run.runId}`,
    });
    expect(byPid.get(inFolder)?.reason).toBe(`runs in ${run.folder}`);
    expect(byPid.get(withTmpdir)?.reason).toBe(`has TMPDIR=${run.folder}/`);
    expect(byPid.has(unrelated)).toBe(false);
    expect(byPid.has(process.pid)).toBe(false);
    expect(found).toHaveLength(3);
  });

  it('does not count a zombie', async () => {
    const run = marker();
    // `sleep 2` ends after its shell has become `sleep 60`, which never reaps it. (A child that ended
    // before the exec could be reaped by the shell itself, as happened on a loaded machine.)
    const parent = spawn('sh', ['-c', 'sleep 2 & echo $!; exec sleep 60'], {
      cwd: run.folder,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(parent);
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const zombie = Number(line.toString().trim());
    for (let round = 0; round < 500 && isRunning(zombie); round++) await sleep(20);
    expect(readFileSync(`/proc/${zombie}/stat`, 'utf8')).toMatch(/\) Z /);
    const found = (findRunProcesses(run) ?? []).map((found) => found.pid);
    expect(found).toEqual([parent.pid]);
  });

  it('gives a process that is ending its grace, and kills the process group of one that stays', async () => {
    const run = marker();
    const ending = spawn('sleep', ['0.3'], { cwd: run.folder, stdio: 'ignore' });
    children.push(ending);
    const leader = sleeper(MINIMAL_ENV, run.folder, true);
    const result = await killLeakedProcesses(run, { graceMs: 1_000, pollMs: 50 });
    expect(result.leaked.map((leak) => leak.pid)).toEqual([leader]);
    expect(result.survived).toEqual([]);
    expect(isRunning(leader)).toBe(false);
  });
});

/** Runs vitest with the leak check as its globalSetup over one fixture test file, in a fresh folder. */
async function runFixture(
  testSource: string,
): Promise<{ code: number | null; output: string; pidFile: string }> {
  const root = tempFolder('factory-leak-fixture-');
  mkdirSync(join(root, 'test'));
  // No imports: the folder has no node_modules, so the fixture uses vitest's globals.
  writeFileSync(
    join(root, 'vitest.config.mjs'),
    `export default { test: { include: ['test/*.test.mjs'], globals: true, globalSetup: [${JSON.stringify(GUARD)}] } };\n`,
  );
  writeFileSync(join(root, 'test', 'fixture.test.mjs'), testSource);
  const pidFile = join(root, 'leaked.pid');
  const run = spawn(
    process.execPath,
    [VITEST, 'run', '--root', root, '--config', join(root, 'vitest.config.mjs'), '--reporter', 'default'],
    {
      cwd: root,
      env: { ...process.env, LEAK_PID_FILE: pidFile, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(run);
  let output = '';
  run.stdout.on('data', (chunk) => {
    output += chunk;
  });
  run.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = (await once(run, 'exit')) as [number | null];
  return { code, output, pidFile };
}

const LEAKS = `
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
test('starts a sleep and leaves it running', () => {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  child.unref();
  writeFileSync(process.env.LEAK_PID_FILE, String(child.pid));
});
`;

const CLEANS_UP = `
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
test('starts a sleep and stops it', async () => {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  writeFileSync(process.env.LEAK_PID_FILE, String(child.pid));
  const exited = once(child, 'exit');
  process.kill(-child.pid, 'SIGKILL');
  await exited;
});
`;

describe.skipIf(!canScanProcesses())('a vitest run with the leak check', () => {
  it('fails when a test leaves a process running, names it and kills it', async () => {
    const { code, output, pidFile } = await runFixture(LEAKS);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      expect(output).toContain('1 passed');
      expect(output).toContain('process leak check: 1 process(es) started by this test run still ran');
      expect(output).toMatch(new RegExp(`pid ${pid} \\(process group ${pid}, parent \\d+\\): sleep 60 `));
      expect(code).not.toBe(0);
      expect(isRunning(pid)).toBe(false);
    } finally {
      if (isRunning(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\u000060\u0000')
        process.kill(pid, 'SIGKILL');
    }
  });

  it('passes when the test stops what it started', async () => {
    const { code, output } = await runFixture(CLEANS_UP);
    expect(output).toContain('1 passed');
    expect(output).not.toContain('process leak check');
    expect(code).toBe(0);
  });
});
