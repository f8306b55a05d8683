import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  createFactory,
  DefaultTaskTemplate,
  type Factory,
  type HandleResult,
  RuleTriage,
  resolveSettings,
  type SpawnRequest,
} from '@software-factory/sdk';
import {
  FakeClarificationChannel,
  FakeClock,
  FakeOutputTarget,
  FakeWorkItemProvider,
  sampleWorkItem,
} from '@software-factory/sdk/testing';
import { afterAll, afterEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  type LocalAgentExit,
  LocalProcessFleet,
  type LocalProcessFleetOptions,
} from '../src/local-process-fleet.ts';
import { SqliteStateStore } from '../src/sqlite-state-store.ts';

const root = mkdtempSync(join(tmpdir(), 'factory-fleet-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A scripted agent: it records what it was given, marks `<control dir>/<work item key>.started`, then
// waits until the test writes its exit code to `<control dir>/<work item key>.exit` (both markers are
// removed as it ends, ready for a next attempt), so each test decides when and how every agent ends.
const AGENT_SCRIPT = `#!/bin/sh
echo "$FACTORY_WORK_ITEM_KEY" >> "$TEST_CONTROL_DIR/starts.log"
cat > received-task.txt
env | sort > received-env.txt
pwd > received-cwd.txt
git rev-parse --abbrev-ref HEAD > received-branch.txt
echo "agent $FACTORY_WORK_ITEM_KEY says hello"
echo "agent $FACTORY_WORK_ITEM_KEY warns on stderr" >&2
if [ -n "$TEST_IGNORE_TERM" ]; then trap '' TERM; fi
control="$TEST_CONTROL_DIR/$FACTORY_WORK_ITEM_KEY"
touch "$control.started"
while [ ! -f "$control.exit" ]; do sleep 0.02; done
code="$(cat "$control.exit")"
rm -f "$control.exit" "$control.started"
exit "$code"
`;

interface Setup {
  dir: string;
  repository: string;
  stateDir: string;
  control: string;
  agent: string;
  exits: LocalAgentExit[];
  fleet(overrides?: Partial<LocalProcessFleetOptions>): LocalProcessFleet;
}

let setupCount = 0;
const fleets: LocalProcessFleet[] = [];
const setups: Setup[] = [];

function setup(): Setup {
  setupCount += 1;
  const dir = join(root, `case-${setupCount}`);
  const repository = join(dir, 'repo');
  const control = join(dir, 'control');
  const agent = join(dir, 'agent.sh');
  mkdirSync(repository, { recursive: true });
  mkdirSync(control);
  writeFileSync(agent, AGENT_SCRIPT);
  chmodSync(agent, 0o755);
  gitIn(repository, ['init', '--quiet', '-b', 'main']);
  writeFileSync(join(repository, 'README.md'), '# app\n');
  gitIn(repository, ['add', 'README.md']);
  gitIn(repository, ['commit', '--quiet', '-m', 'initial commit']);
  const exits: LocalAgentExit[] = [];
  const stateDir = join(dir, 'state');
  const created: Setup = {
    dir,
    repository,
    stateDir,
    control,
    agent,
    exits,
    fleet(overrides = {}) {
      const fleet = new LocalProcessFleet({
        command: [agent],
        repository,
        stateDir,
        env: { TEST_CONTROL_DIR: control },
        onExit: (exit) => {
          exits.push(exit);
        },
        watchIntervalMs: 20,
        ...overrides,
      });
      fleets.push(fleet);
      return fleet;
    },
  };
  setups.push(created);
  return created;
}

// Agents outlive their fleet on purpose (a restarted factory finds them again), so closing the fleets
// stops nothing: an agent a test did not end itself (the abandoned-claim test leaves ENG-9 waiting for
// its exit file, which never comes) would loop on after the run. Each test's agents are stopped here,
// whole process groups (wrapper, agent.sh and its sleep), and waited for.
afterEach(async () => {
  for (const fleet of fleets.splice(0)) fleet.close();
  await Promise.all(setups.splice(0).map(stopAgents));
});

/** Kills the process group of every agent wrapper `s` started that still runs, and waits for it to end. */
async function stopAgents(s: Setup): Promise<void> {
  const agentsDir = join(s.stateDir, 'agents');
  if (!existsSync(agentsDir)) return;
  const groups = readdirSync(agentsDir)
    .map((agentId) => join(agentsDir, agentId, 'wrapper.pid'))
    .filter((file) => existsSync(file))
    .map((file) => Number(readFileSync(file, 'utf8')))
    // Only a group that is still this test's agent (a pid is reused once its process has ended).
    .filter((pgid) => groupMembers(pgid).some((pid) => commandLine(pid).includes(s.dir)));
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Ended meanwhile.
    }
  }
  await eventually(
    'the agents to be stopped',
    () => groups.every((pgid) => groupMembers(pgid).length === 0) || undefined,
  );
}

/** The live (not zombie) processes of process group `pgid`. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid pgrp …; comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(group) === pgid && state !== 'Z') members.push(Number(entry));
    } catch {
      // Ended while being read.
    }
  }
  return members;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function gitIn(repository: string, args: string[]): string {
  return execFileSync(
    'git',
    ['-C', repository, '-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args],
    { encoding: 'utf8' },
  ).trim();
}

function request(key: string, overrides: Partial<SpawnRequest> = {}): SpawnRequest {
  const id = key.toLowerCase();
  return {
    idempotencyKey: `tenant-1/${id}/r1/a1`,
    tenant: 'tenant-1',
    workItemId: id,
    workItemKey: key,
    attempt: 1,
    route: { name: 'app', repository: 'acme/app', agent: 'coder' },
    branch: `factory/${id}`,
    task: `You are working on ${key}: make the export print JSON\n\nDetails follow.\n`,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ...overrides,
  };
}

/** Tells the scripted agent for `key` to exit with `code` (written whole, so it never reads half). */
function finish(s: Setup, key: string, code: number): void {
  const path = join(s.control, `${key}.exit`);
  writeFileSync(`${path}.tmp`, String(code));
  renameSync(`${path}.tmp`, path);
}

/** Polls until `probe` returns a value; fails with `what` if none comes within a generous bound. */
async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let round = 0; round < 1_000; round++) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

const started = (s: Setup, key: string) => () => existsSync(join(s.control, `${key}.started`)) || undefined;
const startCount = (s: Setup) =>
  readFileSync(join(s.control, 'starts.log'), 'utf8').split('\n').filter(Boolean).length;
const worktreeOf = (s: Setup, agentId: string) => join(s.stateDir, 'worktrees', agentId);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]?.startsWith('Z');
  } catch {
    return false;
  }
}

describe('LocalProcessFleet.spawn', () => {
  it('runs the command in a new worktree on the requested branch, with the task on stdin, in TASK.md and in the environment', async () => {
    const s = setup();
    const fleet = s.fleet();
    const { agentId } = await fleet.spawn(request('ENG-1'));
    await eventually('the agent to start', started(s, 'ENG-1'));

    const worktree = worktreeOf(s, agentId);
    expect(readFileSync(join(worktree, 'received-cwd.txt'), 'utf8').trim()).toBe(worktree);
    expect(readFileSync(join(worktree, 'received-branch.txt'), 'utf8').trim()).toBe('factory/eng-1');
    expect(readFileSync(join(worktree, 'received-task.txt'), 'utf8')).toBe(request('ENG-1').task);
    const env = readFileSync(join(worktree, 'received-env.txt'), 'utf8');
    const taskFile = /^FACTORY_TASK_FILE=(.*)$/m.exec(env)?.[1];
    expect(taskFile).toMatch(/TASK\.md$/);
    expect(readFileSync(taskFile as string, 'utf8')).toBe(request('ENG-1').task);
    expect(env).toContain('FACTORY_WORK_ITEM_KEY=ENG-1\n');
    expect(env).toContain('FACTORY_BRANCH=factory/eng-1\n');
    expect(env).toContain('FACTORY_ATTEMPT=1\n');
    expect(env).toContain('FACTORY_TRACE_ID=4bf92f3577b34da6a3ce929d0e0e4736\n');
    expect(env).toContain('TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n');
    expect(env).toContain(`FACTORY_AGENT_ID=${agentId}\n`);
    expect(gitIn(s.repository, ['worktree', 'list'])).toContain(worktree);
    expect(await fleet.status(agentId)).toEqual({ state: 'running' });

    finish(s, 'ENG-1', 0);
    await eventually('the exit to be reported', () => s.exits.length > 0 || undefined);
    expect(s.exits).toEqual([{ agentId, workItemId: 'eng-1', outcome: 'succeeded', exitCode: 0 }]);
    expect(await fleet.status(agentId)).toEqual({ state: 'exited', exitCode: 0 });
    const log = readFileSync(fleet.logFile(agentId) as string, 'utf8');
    expect(log).toContain('agent ENG-1 says hello');
    expect(log).toContain('agent ENG-1 warns on stderr');
  });

  it('passes on only basic variables, the configured ones and those named in passEnv, never the factory’s secrets', async () => {
    const s = setup();
    process.env.FACTORY_TEST_TRACKER_TOKEN = 'lin_api_secret_value';
    process.env.FACTORY_TEST_AGENT_KEY = 'agent-key-value';
    try {
      const fleet = s.fleet({ passEnv: ['FACTORY_TEST_AGENT_KEY'] });
      const { agentId } = await fleet.spawn(request('ENG-2'));
      await eventually('the agent to start', started(s, 'ENG-2'));
      const env = readFileSync(join(worktreeOf(s, agentId), 'received-env.txt'), 'utf8');
      expect(env).toContain('FACTORY_TEST_AGENT_KEY=agent-key-value\n');
      expect(env).toContain(`TEST_CONTROL_DIR=${s.control}\n`);
      expect(env).not.toContain('lin_api_secret_value');
      finish(s, 'ENG-2', 0);
    } finally {
      delete process.env.FACTORY_TEST_TRACKER_TOKEN;
      delete process.env.FACTORY_TEST_AGENT_KEY;
    }
  });

  it('returns the same agent for a repeated or concurrent spawn with the same key, and starts nothing more', async () => {
    const s = setup();
    const fleet = s.fleet();
    const results = await Promise.all([
      fleet.spawn(request('ENG-3')),
      fleet.spawn(request('ENG-3')),
      fleet.spawn(request('ENG-3')),
    ]);
    await eventually('the agent to start', started(s, 'ENG-3'));
    const again = await fleet.spawn(request('ENG-3'));
    const fromAnotherInstance = await s.fleet().spawn(request('ENG-3'));
    const agentIds = new Set([...results, again, fromAnotherInstance].map((agent) => agent.agentId));
    expect(agentIds.size).toBe(1);
    expect(readdirSync(join(s.stateDir, 'worktrees'))).toHaveLength(1);

    finish(s, 'ENG-3', 0);
    await eventually('the exit to be reported', () => s.exits.length > 0 || undefined);
    // A spawn after the agent ended is still the same agent: the key has been used.
    expect((await fleet.spawn(request('ENG-3'))).agentId).toBe(results[0]?.agentId);
    expect(startCount(s)).toBe(1);
  });

  it('a claim left by a factory that died before it started the agent is started by the next spawn with the key', async () => {
    const s = setup();
    const { agentId, dir } = abandonedClaim(s, 'ENG-9', await deadPid());
    const fleet = s.fleet();
    expect((await fleet.spawn(request('ENG-9'))).agentId).toBe(agentId);
    await eventually('the agent to start', started(s, 'ENG-9'));
    expect((await fleet.spawn(request('ENG-9'))).agentId).toBe(agentId);
    expect(startCount(s)).toBe(1);
    expect(existsSync(join(dir, 'wrapper.pid'))).toBe(true);
  });

  it('a claim whose factory is still alive is left to it: the spawn starts nothing', async () => {
    const s = setup();
    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      abandonedClaim(s, 'ENG-8', alive.pid as number);
      await s.fleet().spawn(request('ENG-8'));
      expect(startCountOrZero(s)).toBe(0);
    } finally {
      alive.kill('SIGKILL');
    }
  });

  it('a new attempt (a new key) on the same branch continues from the branch the first attempt left', async () => {
    const s = setup();
    const fleet = s.fleet();
    const first = await fleet.spawn(request('ENG-4'));
    await eventually('the first attempt to start', started(s, 'ENG-4'));
    gitIn(worktreeOf(s, first.agentId), ['commit', '--quiet', '--allow-empty', '-m', 'work of attempt 1']);
    finish(s, 'ENG-4', 1);
    await eventually('the first exit', () => s.exits.length > 0 || undefined);
    await fleet.release(first.agentId);

    const second = await fleet.spawn(
      request('ENG-4', { idempotencyKey: 'tenant-1/eng-4/r1/a2', attempt: 2 }),
    );
    expect(second.agentId).not.toBe(first.agentId);
    await eventually('the second attempt to start', started(s, 'ENG-4'));
    expect(gitIn(worktreeOf(s, second.agentId), ['log', '--format=%s', '-1'])).toBe('work of attempt 1');
    finish(s, 'ENG-4', 0);
    await eventually('the second exit', () => s.exits.length > 1 || undefined);
  });
});

describe.skipIf(process.platform === 'win32')(
  'the fleet’s files hold work-item text: only their owner reads them',
  () => {
    const modeOf = (path: string) => statSync(path).mode & 0o777;

    it('task, log, registry, run, exit, pid and claim files are 0600 in 0700 folders, whatever the umask; a wider state folder is tightened', async () => {
      const s = setup();
      // As an earlier version (or a umask of 022) left it.
      mkdirSync(s.stateDir, { mode: 0o755 });
      chmodSync(s.stateDir, 0o755);
      const fleet = s.fleet();
      // The wrapper inherits the umask it is started under: the most permissive one.
      const umask = process.umask(0);
      let agentId: string;
      try {
        ({ agentId } = await fleet.spawn(request('ENG-70')));
      } finally {
        process.umask(umask);
      }
      await eventually('the agent to start', started(s, 'ENG-70'));
      finish(s, 'ENG-70', 0);
      await eventually('the exit to be reported', () => s.exits.length > 0 || undefined);

      const agentDir = join(s.stateDir, 'agents', agentId);
      const folders = [s.stateDir, join(s.stateDir, 'agents'), agentDir, join(s.stateDir, 'worktrees')];
      expect(folders.map((folder) => [folder, modeOf(folder)])).toEqual(
        folders.map((folder) => [folder, 0o700]),
      );
      const files = readdirSync(agentDir).sort();
      expect(files).toEqual([
        'TASK.md',
        'agent.json',
        'agent.log',
        'claim.json',
        'exit.json',
        'run.json',
        'wrapper.pid',
      ]);
      expect(files.map((file) => [file, modeOf(join(agentDir, file))])).toEqual(
        files.map((file) => [file, 0o600]),
      );
    });
  },
);

describe('exits reported through onExit', () => {
  it('a non-zero exit is a failure with its exit code', async () => {
    const s = setup();
    const fleet = s.fleet();
    const { agentId } = await fleet.spawn(request('ENG-5'));
    await eventually('the agent to start', started(s, 'ENG-5'));
    finish(s, 'ENG-5', 3);
    await eventually('the exit to be reported', () => s.exits.length > 0 || undefined);
    expect(s.exits).toEqual([{ agentId, workItemId: 'eng-5', outcome: 'failed', exitCode: 3 }]);
    expect(await fleet.status(agentId)).toEqual({ state: 'exited', exitCode: 3 });
  });

  it('an agent killed outside the factory, leaving no exit code, is unknown and reported lost', async () => {
    const s = setup();
    const fleet = s.fleet();
    const { agentId } = await fleet.spawn(request('ENG-6'));
    await eventually('the agent to start', started(s, 'ENG-6'));
    const pid = Number(readFileSync(join(s.stateDir, 'agents', agentId, 'wrapper.pid'), 'utf8'));
    process.kill(-pid, 'SIGKILL');
    await eventually('the loss to be reported', () => s.exits.length > 0 || undefined);
    expect(s.exits).toEqual([expect.objectContaining({ agentId, workItemId: 'eng-6', outcome: 'lost' })]);
    expect(await fleet.status(agentId)).toEqual({ state: 'unknown' });
  });

  it('an onExit that fails leaves the exit to be reported again by recover()', async () => {
    const s = setup();
    let refuse = true;
    const fleet = s.fleet({
      onExit: (exit) => {
        if (refuse) throw new Error('the factory could not take the event');
        s.exits.push(exit);
      },
    });
    const { agentId } = await fleet.spawn(request('ENG-7'));
    await eventually('the agent to start', started(s, 'ENG-7'));
    finish(s, 'ENG-7', 0);
    await eventually(
      'the agent to end',
      async () => (await fleet.status(agentId)).state === 'exited' || undefined,
    );
    refuse = false;
    const reported = await eventually('recover to report the exit', async () => {
      const found = await fleet.recover();
      return found.length > 0 ? found : undefined;
    });
    expect(reported).toEqual([{ agentId, workItemId: 'eng-7', outcome: 'succeeded', exitCode: 0 }]);
    expect(await fleet.recover()).toEqual([]);
  });
});

describe('after a restart of the factory', () => {
  it('a factory whose process group is killed with SIGKILL leaves its agents running; a new fleet finds the running one and reports the one that ended meanwhile', async () => {
    const s = setup();
    const fleetModule = fileURLToPath(new URL('../src/local-process-fleet.ts', import.meta.url));
    const factoryScript = `
      import { LocalProcessFleet } from ${JSON.stringify(fleetModule)};
      const [command, repository, stateDir, control] = process.argv.slice(1);
      const fleet = new LocalProcessFleet({ command: [command], repository, stateDir, env: { TEST_CONTROL_DIR: control } });
      const request = (key) => ({
        idempotencyKey: 'tenant-1/' + key + '/r1/a1', tenant: 'tenant-1', workItemId: key.toLowerCase(), workItemKey: key,
        attempt: 1, route: { name: 'app', repository: 'acme/app', agent: 'coder' }, branch: 'factory/' + key.toLowerCase(), task: 'task for ' + key,
      });
      const stays = await fleet.spawn(request('ENG-10'));
      const ends = await fleet.spawn(request('ENG-11'));
      process.stdout.write(JSON.stringify({ stays: stays.agentId, ends: ends.agentId }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const factory = spawn(
      process.execPath,
      ['--input-type=module', '-e', factoryScript, s.agent, s.repository, s.stateDir, s.control],
      // Its own process group, killed whole below, as a terminal's Ctrl-C or a supervisor would.
      { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
    );
    // Killed below; this is for a test that fails before it gets there.
    onTestFinished(() => {
      if (factory.exitCode === null && factory.signalCode === null)
        process.kill(-(factory.pid as number), 'SIGKILL');
    });
    let output = '';
    factory.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const agents = await eventually('the factory to spawn two agents', () =>
      output.includes('\n') ? (JSON.parse(output) as { stays: string; ends: string }) : undefined,
    );
    await eventually('both agents to start', () => started(s, 'ENG-10')() && started(s, 'ENG-11')());
    process.kill(-(factory.pid as number), 'SIGKILL');
    await eventually(
      'the factory to die',
      () => factory.exitCode !== null || factory.signalCode !== null || undefined,
    );

    finish(s, 'ENG-11', 4);
    const wrapperPid = (agentId: string) =>
      Number(readFileSync(join(s.stateDir, 'agents', agentId, 'wrapper.pid'), 'utf8'));
    await eventually(
      'ENG-11 to end while no factory runs',
      () => !isAlive(wrapperPid(agents.ends)) || undefined,
    );

    const restarted = s.fleet();
    expect(await restarted.status(agents.stays)).toEqual({ state: 'running' });
    expect(await restarted.status(agents.ends)).toEqual({ state: 'exited', exitCode: 4 });
    const recovered = await restarted.recover();
    expect(recovered).toEqual([
      { agentId: agents.ends, workItemId: 'eng-11', outcome: 'failed', exitCode: 4 },
    ]);
    expect(s.exits).toEqual(recovered);

    // The running agent is watched: its end is reported without another recover().
    finish(s, 'ENG-10', 0);
    await eventually('the watched agent to be reported', () => s.exits.length > 1 || undefined);
    expect(s.exits[1]).toEqual({
      agentId: agents.stays,
      workItemId: 'eng-10',
      outcome: 'succeeded',
      exitCode: 0,
    });
    expect(await restarted.recover()).toEqual([]);
    expect(await s.fleet().recover()).toEqual([]);
  });
});

describe('LocalProcessFleet.release', () => {
  it('stops a running agent with SIGTERM, removes its worktree, keeps its branch and reports no exit', async () => {
    const s = setup();
    const fleet = s.fleet();
    const { agentId } = await fleet.spawn(request('ENG-20'));
    await eventually('the agent to start', started(s, 'ENG-20'));
    const pid = Number(readFileSync(join(s.stateDir, 'agents', agentId, 'wrapper.pid'), 'utf8'));

    await fleet.release(agentId);
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(worktreeOf(s, agentId))).toBe(false);
    expect(gitIn(s.repository, ['worktree', 'list'])).not.toContain(agentId);
    expect(gitIn(s.repository, ['branch', '--list', 'factory/eng-20'])).toContain('factory/eng-20');
    expect((await fleet.status(agentId)).state).not.toBe('running');
    await fleet.release(agentId);
    expect(s.exits).toEqual([]);
    expect(await fleet.recover()).toEqual([]);
  });

  it('kills an agent that ignores SIGTERM once the grace period is over', async () => {
    const s = setup();
    const fleet = s.fleet({ env: { TEST_CONTROL_DIR: s.control, TEST_IGNORE_TERM: '1' }, stopGraceMs: 100 });
    const { agentId } = await fleet.spawn(request('ENG-21'));
    await eventually('the agent to start', started(s, 'ENG-21'));
    const pid = Number(readFileSync(join(s.stateDir, 'agents', agentId, 'wrapper.pid'), 'utf8'));
    await fleet.release(agentId);
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(worktreeOf(s, agentId))).toBe(false);
  });

  // An agent it never started (unknown status, a release that changes nothing): the FleetClient
  // conformance suite (local-process-fleet-conformance.test.ts).
  it('a malformed agent id is unknown, and releasing it touches nothing', async () => {
    const s = setup();
    const fleet = s.fleet();
    await fleet.release('../../repo');
    expect(existsSync(join(s.repository, 'README.md'))).toBe(true);
    expect(await fleet.status('../../repo')).toEqual({ state: 'unknown' });
  });
});

describe('bad configuration', () => {
  it('a missing agent command fails the spawn with one clear line and leaves nothing behind', async () => {
    const s = setup();
    const fleet = s.fleet({ command: ['factory-no-such-agent-command', '-p'] });
    const attempt = fleet.spawn(request('ENG-30'));
    await expect(attempt).rejects.toThrow(
      'LocalProcessFleet: agent command "factory-no-such-agent-command" was not found on PATH',
    );
    expect(existsSync(join(s.stateDir, 'worktrees'))).toBe(false);
    expect(gitIn(s.repository, ['branch', '--list', 'factory/eng-30'])).toBe('');
    // The key is still free: a fleet with a working command starts the agent.
    const { agentId } = await s.fleet().spawn(request('ENG-30'));
    await eventually('the agent to start', started(s, 'ENG-30'));
    finish(s, 'ENG-30', 0);
    await eventually(
      'the exit',
      async () => (await s.fleet().status(agentId)).state === 'exited' || undefined,
    );
  });

  it('a shell-string command whose program is missing, or a path that is not executable, is refused', async () => {
    const s = setup();
    await expect(
      s.fleet({ command: 'factory-no-such-agent-command -p' }).spawn(request('ENG-31')),
    ).rejects.toThrow('agent command "factory-no-such-agent-command" was not found on PATH');
    writeFileSync(join(s.dir, 'not-executable.sh'), 'exit 0\n');
    await expect(
      s.fleet({ command: [join(s.dir, 'not-executable.sh')] }).spawn(request('ENG-31')),
    ).rejects.toThrow(`agent command "${join(s.dir, 'not-executable.sh')}" is not an executable file`);
    await expect(s.fleet({ command: ['factory-no-such-agent-command'] }).check()).rejects.toThrow(
      'was not found on PATH',
    );
  });

  it('an empty command is refused when the fleet is created', () => {
    const s = setup();
    expect(() => s.fleet({ command: [] })).toThrow('LocalProcessFleet: the agent command is empty');
    expect(() => s.fleet({ command: '   ' })).toThrow('LocalProcessFleet: the agent command is empty');
  });

  it('a repository that is not a git repository fails the spawn clearly and frees the key', async () => {
    const s = setup();
    const notRepo = join(s.dir, 'plain-folder');
    mkdirSync(notRepo);
    const fleet = s.fleet({ repository: notRepo });
    await expect(fleet.spawn(request('ENG-32'))).rejects.toThrow(
      `LocalProcessFleet: ${notRepo} is not a git repository`,
    );
    await expect(fleet.check()).rejects.toThrow('is not a git repository');
    await expect(s.fleet({ repository: join(s.dir, 'missing') }).check()).rejects.toThrow('does not exist');
    expect(readdirSync(join(s.stateDir, 'agents'))).toEqual([]);
  });

  it('a branch name git refuses fails the spawn clearly', async () => {
    const s = setup();
    const fleet = s.fleet();
    await expect(fleet.spawn(request('ENG-33', { branch: 'bad..branch' }))).rejects.toThrow(
      'LocalProcessFleet: "bad..branch" is not a valid branch name',
    );
    await expect(fleet.spawn(request('ENG-34', { branch: '-f' }))).rejects.toThrow(
      'is not a valid branch name',
    );
    expect(startCountOrZero(s)).toBe(0);
  });
});

/** The folder a factory leaves when it dies after claiming a key and before starting the agent. */
function abandonedClaim(s: Setup, key: string, claimerPid: number): { agentId: string; dir: string } {
  const idempotencyKey = request(key).idempotencyKey;
  const agentId = `local-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
  const dir = join(s.stateDir, 'agents', agentId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'claim.json'),
    JSON.stringify({ pid: claimerPid, process: 'an-earlier-factory', at: Date.now() }),
  );
  writeFileSync(
    join(dir, 'agent.json'),
    JSON.stringify({
      agentId,
      idempotencyKey,
      worktree: join(s.stateDir, 'worktrees', agentId),
      startedAt: Date.now(),
    }),
  );
  return { agentId, dir };
}

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid as number;
}

function startCountOrZero(s: Setup): number {
  return existsSync(join(s.control, 'starts.log')) ? startCount(s) : 0;
}

describe('LocalProcessFleet under the core, with SQLite state', () => {
  it('a failed agent is retried as a new agent, and the item is done and its agent released when its output is ready', async () => {
    const s = setup();
    const settings = resolveSettings({
      routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
      retry: { maxAttempts: 2, backoff: 0 },
    });
    const store = new SqliteStateStore(join(s.dir, 'state.db'));
    const outputs = new FakeOutputTarget();
    const handled: Promise<HandleResult>[] = [];
    let factory: Factory | undefined;
    const fleet = s.fleet({
      onExit: (exit) => {
        s.exits.push(exit);
        if (factory) handled.push(factory.handle({ type: 'agent.exited', ...exit }));
      },
    });
    factory = createFactory({
      tenant: 'tenant-1',
      settings,
      ports: {
        store,
        workItems: new FakeWorkItemProvider(),
        clarifications: new FakeClarificationChannel(),
        outputs,
        fleet,
        triage: new RuleTriage(settings.routes),
        template: new DefaultTaskTemplate(),
        clock: new FakeClock(),
      },
    });
    try {
      const item = sampleWorkItem({ id: 'item-50', key: 'ENG-50' });
      const dispatched = await factory.handle({ type: 'work-item.changed', item });
      expect(dispatched.transitions.map((t) => t.to)).toEqual(['dispatched']);
      await eventually('the first attempt to start', started(s, 'ENG-50'));

      finish(s, 'ENG-50', 3);
      await eventually('the core to take the failure', () =>
        handled.length > 0 ? Promise.all(handled) : undefined,
      );
      await eventually('the second attempt to start', started(s, 'ENG-50'));
      const retried = (await store.getRecord('tenant-1', 'item-50'))?.dispatch;
      expect(retried?.attempt).toBe(2);
      const secondAgent = retried?.agentId as string;
      expect(s.exits.map((exit) => exit.outcome)).toEqual(['failed']);
      expect(secondAgent).not.toBe(s.exits[0]?.agentId);
      const env = readFileSync(join(worktreeOf(s, secondAgent), 'received-env.txt'), 'utf8');
      expect(env).toContain('FACTORY_ATTEMPT=2\n');
      expect(await fleet.status(secondAgent)).toEqual({ state: 'running' });

      outputs.outputs.set('acme/app#7', {
        id: 'acme/app#7',
        url: 'https://code.example/acme/app/pull/7',
        state: 'ready',
        branch: 'factory/eng-50',
        title: 'ENG-50: done',
        repository: 'acme/app',
      });
      const done = await factory.handle({
        type: 'output.changed',
        output: outputs.outputs.get('acme/app#7')!,
      });
      expect(done.transitions.map((t) => t.to)).toEqual(['done']);
      expect(existsSync(worktreeOf(s, secondAgent))).toBe(false);
      expect((await fleet.status(secondAgent)).state).not.toBe('running');
    } finally {
      store.close();
    }
  });
});
