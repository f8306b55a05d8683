// `factory start` stops with whatever started it: npm's `npm exec` (npm → `sh -c` → node) passes SIGTERM
// to the shell only, and a wrapper killed outright passes on nothing; the server must not run on alone.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withLoopbackGuard } from '../../../scripts/loopback-guard.mjs';
import { REGISTER_SOURCES_URL } from '../../../scripts/workspace-sources.ts';
import { LaunchChain, type ProcessEntry, watchLaunchChain } from '../src/launch-chain.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ROOT_BIN = path.join(ROOT, 'node_modules', '.bin');
const FACTORY_BIN = fileURLToPath(new URL('../bin/factory.js', import.meta.url));
const LAUNCH_CHAIN = fileURLToPath(new URL('../src/launch-chain.ts', import.meta.url));
/** How long a stop may take once its cause happened: a 500 ms poll plus a graceful shutdown, with room. */
const STOP_WITHIN_MS = 15_000;
const START_WITHIN_MS = 40_000;

interface LogLine {
  msg: string;
  [field: string]: unknown;
}

/** A process the test started (in its own process group), with its stdout collected as JSON lines. */
class Started {
  stdout = '';
  stderr = '';
  readonly child: ChildProcess;
  constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
  }

  get logs(): LogLine[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  log(msg: string): LogLine | undefined {
    return this.logs.find((line) => line.msg === msg);
  }

  describe(): string {
    return `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`;
  }
}

const groups: number[] = [];
const pids: number[] = [];
let cwd: string;

beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'factory-stop-with-parent-'));
  await mkdir(path.join(cwd, 'workspace'));
});

afterEach(async () => {
  // Everything this test started, whatever state the test left it in.
  for (const group of groups.splice(0)) if (group > 1) signal(-group, 'SIGKILL');
  for (const pid of pids.splice(0)) if (pid > 1) signal(pid, 'SIGKILL');
  await rm(cwd, { recursive: true, force: true, maxRetries: 3 });
});

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {}
}

/** The test's environment (npm's own variables left out), with the repository's node first on PATH. */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.toLowerCase().startsWith('npm_')) env[name] = value;
  return {
    ...env,
    PATH: `${ROOT_BIN}:${process.env.PATH ?? ''}`,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

/** Starts `command args` as the leader of a new process group, killed with its group after the test. */
function startGroup(command: string, args: string[], env: NodeJS.ProcessEnv = environment()): Started {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid) groups.push(child.pid);
  return new Started(child);
}

/** Polls until `check` holds, failing with `what` at the deadline. */
async function within(ms: number, what: () => string, check: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Running: the pid exists and has not ended (a zombie has; only its parent has not reaped it yet). */
function running(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits for "factory started"; returns the server's pid and port. */
async function started(launched: Started): Promise<{ pid: number; port: number }> {
  await within(
    START_WITHIN_MS,
    () => `no "factory started"\n${launched.describe()}`,
    () => Boolean(launched.log('factory started')),
  );
  const line = launched.log('factory started')!;
  const pid = line.pid as number;
  // In a PID namespace the line says 1, which is not this test's to kill: that test finds the real pid.
  if (pid > 1) pids.push(pid);
  return { pid, port: Number(new URL(String(line.url)).port) };
}

/** Waits for the server's pid to end, then checks its port is closed; with `logged`, its "stopped" line. */
async function expectStopped(server: { pid: number; port: number }, launched: Started, logged = true) {
  await within(
    STOP_WITHIN_MS,
    () => `pid ${server.pid} still running\n${launched.describe()}`,
    () => !running(server.pid),
  );
  expect(await accepting(server.port)).toBe(false);
  // The line was written before the exit; it may still be on its way through the pipe.
  if (logged)
    await within(
      STOP_WITHIN_MS,
      () => `no "stopped"\n${launched.describe()}`,
      () => Boolean(launched.log('stopped')),
    );
}

/** The factory's exit code, as the shell of startUnderWrapper writes it once the factory has ended. */
async function exitCodeFile(): Promise<string> {
  const file = path.join(cwd, 'exit-code');
  let code = '';
  await within(
    STOP_WITHIN_MS,
    () => 'the shell wrote no exit code',
    async () => {
      code = await readFile(file, 'utf8').catch(() => '');
      return code.endsWith('\n');
    },
  );
  return code.trim();
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * npm's exec in miniature: a Node process that runs `sh -c '<node> factory.js start …'` and passes on no
 * signal. The shell records the factory's exit code (the trailing command also keeps it from replacing
 * itself with node, as npm's shell does not either). With `pipes`, the shell's output goes through the
 * wrapper, so when the wrapper dies the factory writes to a pipe nobody reads.
 */
function startUnderWrapper(pipes: boolean): Started {
  const factory = [process.execPath, FACTORY_BIN, 'start', '--mount', 'workspace', '--port', '0']
    .map(quote)
    .join(' ');
  const wrapper = `
    const { spawn } = require('node:child_process');
    const pipes = process.env.WRAPPER_PIPES === '1';
    const shell = spawn('sh', ['-c', process.env.WRAPPED], { stdio: pipes ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    if (pipes) { shell.stdout.pipe(process.stdout); shell.stderr.pipe(process.stderr); }
  `;
  return startGroup(
    process.execPath,
    ['-e', wrapper],
    environment({ WRAPPED: `${factory}; echo $? > exit-code`, WRAPPER_PIPES: pipes ? '1' : '0' }),
  );
}

const canUsePidNamespace = (() => {
  try {
    return (
      spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { timeout: 10_000 }).status === 0
    );
  } catch {
    return false;
  }
})();

describe.skipIf(process.platform !== 'linux')('factory start stops with what started it', () => {
  it.each(['SIGKILL', 'SIGTERM'] as const)(
    'the wrapper above `sh -c` gets %s: the shell is left, the factory stops cleanly',
    async (killWith) => {
      const wrapper = startUnderWrapper(false);
      const server = await started(wrapper);
      const shell = parentOf(server.pid);
      expect(parentOf(shell)).toBe(wrapper.child.pid);

      wrapper.child.kill(killWith);
      await expectStopped(server, wrapper);
      expect(wrapper.log('stopping')).toMatchObject({ parentExited: wrapper.child.pid });
      expect(wrapper.log('stopped')).toMatchObject({ parentExited: wrapper.child.pid });
      expect(await exitCodeFile()).toBe('0');
    },
  );

  it('stops cleanly when its output went with the wrapper (stdout a pipe nobody reads)', async () => {
    const wrapper = startUnderWrapper(true);
    const server = await started(wrapper);
    wrapper.child.kill('SIGKILL');
    await expectStopped(server, wrapper, false);
    // 0: the shutdown finished; a write error on the dead pipe would have ended it with 1.
    expect(await exitCodeFile()).toBe('0');
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    '`npm exec -- factory start` stops when npm gets %s',
    async (killWith) => {
      const npm = startGroup('npm', [
        'exec',
        '--prefix',
        ROOT,
        '--',
        'factory',
        'start',
        '--mount',
        'workspace',
        '--port',
        '0',
      ]);
      const server = await started(npm);
      const shell = parentOf(server.pid);
      expect(parentOf(shell)).toBe(npm.child.pid);
      npm.child.kill(killWith);
      await expectStopped(server, npm);
      // SIGTERM: npm passes it to the shell, which dies of it. SIGKILL: the shell is left, without npm.
      const gone = killWith === 'SIGTERM' ? shell : npm.child.pid;
      expect(npm.log('stopping')).toMatchObject({ parentExited: gone });
      expect(npm.log('stopped')).toMatchObject({ parentExited: gone });
    },
  );

  it('SIGHUP (a closed terminal) stops it cleanly', async () => {
    const factory = startGroup(process.execPath, [
      FACTORY_BIN,
      'start',
      '--mount',
      'workspace',
      '--port',
      '0',
    ]);
    const server = await started(factory);
    const exited = new Promise((resolve) =>
      factory.child.once('exit', (code, name) => resolve({ code, name })),
    );
    factory.child.kill('SIGHUP');
    await expectStopped(server, factory);
    expect(await exited).toEqual({ code: 0, name: null });
    expect(factory.log('stopped')).toMatchObject({ signal: 'SIGHUP' });
  });

  it.skipIf(!canUsePidNamespace)(
    'as PID 1 (a container without an init) it keeps running, and stops cleanly on SIGTERM from outside, as `docker stop` sends it',
    async () => {
      const unshare = startGroup('unshare', [
        '--pid',
        '--fork',
        '--mount-proc',
        process.execPath,
        FACTORY_BIN,
        'start',
        '--mount',
        'workspace',
        '--port',
        '0',
      ]);
      const inside = await started(unshare);
      expect(inside.pid).toBe(1);
      const pid = Number(
        readFileSync(`/proc/${unshare.child.pid}/task/${unshare.child.pid}/children`, 'utf8'),
      );
      pids.push(pid);
      // No parent to lose: still serving two tick lines later (the local setup ticks every 2 s).
      const ticks = () => unshare.logs.filter((line) => line.msg === 'event handled').length;
      const ticksAtStart = ticks();
      await within(
        START_WITHIN_MS,
        () => `no tick\n${unshare.describe()}`,
        () => ticks() >= ticksAtStart + 2,
      );
      expect(running(pid)).toBe(true);
      expect(unshare.log('stopping')).toBeUndefined();

      const exited = new Promise((resolve) => unshare.child.once('exit', (code) => resolve(code)));
      process.kill(pid, 'SIGTERM');
      await expectStopped({ pid, port: inside.port }, unshare);
      expect(await exited).toBe(0);
      expect(unshare.log('stopped')).toMatchObject({ signal: 'SIGTERM' });
    },
  );

  it('the parent watch never keeps a process alive', async () => {
    const script = `
      const { watchLaunchChain } = await import(${JSON.stringify(LAUNCH_CHAIN)});
      watchLaunchChain(() => console.log('exited'), { ppidAtStart: process.ppid, everyMs: 10 });
    `;
    const { child } = startGroup(process.execPath, ['--input-type=module', '-e', script]);
    await within(
      STOP_WITHIN_MS,
      () => 'still running with only the watch left',
      () => child.exitCode !== null,
    );
    expect(child.exitCode).toBe(0);
  });
});

describe('LaunchChain', () => {
  /** A process table: pid → its parent and process group. */
  function table(entries: Record<number, ProcessEntry>, self: ProcessEntry) {
    const current = new Map(Object.entries(entries).map(([pid, entry]) => [Number(pid), entry]));
    return {
      read: (pid: number | 'self') => (pid === 'self' ? self : current.get(pid)),
      set: (pid: number, entry: ProcessEntry | undefined) =>
        entry ? current.set(pid, entry) : current.delete(pid),
    };
  }

  // npm (pid 100, leader of group 100) → sh (101) → node (102).
  const underNpm = () =>
    table({ 100: { ppid: 50, pgrp: 100 }, 101: { ppid: 100, pgrp: 100 } }, { ppid: 101, pgrp: 100 });

  it('holds while nothing changes', () => {
    const processes = underNpm();
    const chain = new LaunchChain({ ppidAtStart: 101, ppid: () => 101, read: processes.read });
    expect(chain.watchable).toBe(true);
    expect(chain.exited()).toBeUndefined();
  });

  it('breaks when its own parent changes: npm passed SIGTERM to the shell and the shell died', () => {
    const processes = underNpm();
    let ppid = 101;
    const chain = new LaunchChain({ ppidAtStart: 101, ppid: () => ppid, read: processes.read });
    processes.set(101, undefined);
    ppid = 1;
    expect(chain.exited()).toBe(101);
  });

  it('breaks when the shell between is re-parented: npm was killed outright', () => {
    const processes = underNpm();
    const chain = new LaunchChain({ ppidAtStart: 101, ppid: () => 101, read: processes.read });
    processes.set(101, { ppid: 1, pgrp: 100 });
    expect(chain.exited()).toBe(100);
  });

  it("never watches the group's leader: a daemon may lose its own starter", () => {
    const processes = underNpm();
    const chain = new LaunchChain({ ppidAtStart: 101, ppid: () => 101, read: processes.read });
    processes.set(100, { ppid: 1, pgrp: 100 });
    expect(chain.exited()).toBeUndefined();
  });

  it('watches nothing beyond its own parent when it leads its own group (a shell with job control)', () => {
    const processes = table({ 50: { ppid: 10, pgrp: 50 } }, { ppid: 50, pgrp: 102 });
    const chain = new LaunchChain({ ppidAtStart: 50, ppid: () => 50, read: processes.read });
    processes.set(50, { ppid: 1, pgrp: 50 });
    expect(chain.exited()).toBeUndefined();
  });

  it.each([
    ['started by PID 1 (a systemd service, tini)', 1],
    ['PID 1 itself (a container without an init)', 0],
  ])('has nothing to watch when %s', (_, ppidAtStart) => {
    const processes = table({}, { ppid: ppidAtStart, pgrp: 7 });
    const chain = new LaunchChain({ ppidAtStart, ppid: () => ppidAtStart, read: processes.read });
    expect(chain.watchable).toBe(false);
    expect(chain.exited()).toBeUndefined();
  });

  it('without /proc (macOS) watches its own parent only', () => {
    let ppid = 101;
    const chain = new LaunchChain({ ppidAtStart: 101, ppid: () => ppid, read: () => undefined });
    expect(chain.watchable).toBe(true);
    expect(chain.exited()).toBeUndefined();
    ppid = 1;
    expect(chain.exited()).toBe(101);
  });

  describe('watchLaunchChain', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('reports once and clears its timer', () => {
      let ppid = 101;
      const exited: number[] = [];
      watchLaunchChain((pid) => exited.push(pid), {
        ppidAtStart: 101,
        ppid: () => ppid,
        read: () => undefined,
        everyMs: 500,
      });
      vi.advanceTimersByTime(2_000);
      expect(exited).toEqual([]);
      ppid = 1;
      vi.advanceTimersByTime(500);
      expect(exited).toEqual([101]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('stops when told, and starts no timer when there is nothing to watch', () => {
      const stop = watchLaunchChain(() => {}, { ppidAtStart: 101, ppid: () => 101, read: () => undefined });
      expect(vi.getTimerCount()).toBe(1);
      stop();
      expect(vi.getTimerCount()).toBe(0);
      watchLaunchChain(() => {}, { ppidAtStart: 1, ppid: () => 1, read: () => undefined });
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});

describe.skipIf(process.platform !== 'linux')('watchForStop', () => {
  const LIFECYCLE = fileURLToPath(new URL('../src/commands/process-lifecycle.ts', import.meta.url));

  it('takes a closed stdout (EPIPE) as a request to stop, not a crash, before the parent poll sees anything', async () => {
    // A process that writes a line every 10 ms and reports its stop request on stderr. The poll is
    // slowed to an hour, so only the closed pipe can stop it.
    const script = `
      const { watchForStop } = await import(${JSON.stringify(LIFECYCLE)});
      const stop = watchForStop({ parentPollMs: 3_600_000 });
      const writing = setInterval(() => process.stdout.write('line\\n'), 10);
      const request = await stop.requested;
      clearInterval(writing);
      process.stderr.write(JSON.stringify(request) + '\\n');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: withLoopbackGuard({ ...environment(), NODE_OPTIONS: `--import=${REGISTER_SOURCES_URL}` }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) pids.push(child.pid);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdout.destroy();
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(JSON.parse(stderr.trim())).toEqual({ outputClosed: 'stdout' });
    expect(code).toBe(0);
  });
});
