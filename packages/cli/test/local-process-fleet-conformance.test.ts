import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fleetClientConformance } from '@software-factory/sdk/testing';
import { LocalProcessFleet } from '../src/local-process-fleet.ts';

// An agent that says it started (its pid, then its work item key in starts.log) and runs until stopped.
const AGENT_SCRIPT = `#!/bin/sh
echo $$ > "$TEST_CONTROL_DIR/$FACTORY_WORK_ITEM_KEY.pid"
echo "$FACTORY_WORK_ITEM_KEY" >> "$TEST_CONTROL_DIR/starts.log"
while :; do sleep 1; done
`;

/** `/proc/<pid>/stat` after the command name: state, ppid, process group. */
function stat(pid: number): { state: string; group: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, , group] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: state ?? '', group: Number(group) };
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  const found = stat(pid);
  return found !== undefined && found.state !== 'Z';
};

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let round = 0; round < 500; round++) {
    if (done()) return;
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

fleetClientConformance('LocalProcessFleet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'factory-fleet-conformance-'));
  const repository = join(dir, 'repo');
  const control = join(dir, 'control');
  const stateDir = join(dir, 'state');
  const agent = join(dir, 'agent.sh');
  mkdirSync(repository);
  mkdirSync(control);
  writeFileSync(agent, AGENT_SCRIPT);
  chmodSync(agent, 0o755);
  const git = (...args: string[]) =>
    execFileSync('git', [
      '-C',
      repository,
      '-c',
      'user.name=Test',
      '-c',
      'user.email=test@example.invalid',
      ...args,
    ]);
  git('init', '--quiet', '-b', 'main');
  writeFileSync(join(repository, 'README.md'), '# app\n');
  git('add', 'README.md');
  git('commit', '--quiet', '-m', 'initial commit');

  const fleet = new LocalProcessFleet({
    command: [agent],
    repository,
    stateDir,
    env: { TEST_CONTROL_DIR: control },
    stopGraceMs: 2_000,
  });
  const pids = () =>
    readdirSync(control)
      .filter((name) => name.endsWith('.pid'))
      .map((name) => Number(readFileSync(join(control, name), 'utf8')));
  const claimed = () =>
    existsSync(join(stateDir, 'agents')) ? readdirSync(join(stateDir, 'agents')).length : 0;
  return {
    fleet,
    async backend() {
      // A process starts a moment after spawn returns: wait until every agent the fleet claimed has said so.
      await until('the agents to start', () => lines(join(control, 'starts.log')).length >= claimed());
      return { started: lines(join(control, 'starts.log')).length, running: pids().filter(alive).length };
    },
    async close() {
      fleet.close();
      // Agents outlive their fleet on purpose; stop each one's whole process group, and wait for it.
      const groups = pids()
        .filter(alive)
        .map((pid) => stat(pid)?.group)
        .filter((group): group is number => group !== undefined);
      for (const group of groups) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // Ended meanwhile.
        }
      }
      await until('the agents to stop', () => pids().every((pid) => !alive(pid)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
