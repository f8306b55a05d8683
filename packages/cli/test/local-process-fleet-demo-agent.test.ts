import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { MountOutputTarget } from '@software-factory/relayfile';
import { DirectoryMount } from '@software-factory/relayfile/directory-mount';
import { DefaultTaskTemplate, type SpawnRequest } from '@software-factory/sdk';
import { sampleWorkItem } from '@software-factory/sdk/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type LocalAgentExit, LocalProcessFleet } from '../src/local-process-fleet.ts';
import { DEMO_AGENT_COMMAND } from '../src/local-setup.ts';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'factory-demo-agent-'));
const fleets: LocalProcessFleet[] = [];
afterEach(() => {
  for (const fleet of fleets.splice(0)) fleet.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let caseCount = 0;
function setup() {
  caseCount += 1;
  const dir = join(root, `case-${caseCount}`);
  const repository = join(dir, 'repo');
  const mount = join(dir, 'mount');
  mkdirSync(repository, { recursive: true });
  git(repository, ['init', '--quiet', '-b', 'main']);
  writeFileSync(join(repository, 'README.md'), '# app\n');
  git(repository, ['add', 'README.md']);
  git(repository, [
    '-c',
    'user.name=Test',
    '-c',
    'user.email=test@example.invalid',
    'commit',
    '--quiet',
    '-m',
    'init',
  ]);
  const exits: LocalAgentExit[] = [];
  const fleet = new LocalProcessFleet({
    command: DEMO_AGENT_COMMAND,
    repository,
    stateDir: join(dir, 'state'),
    env: { FACTORY_DEMO_MOUNT: mount, FACTORY_DEMO_REPOSITORY: 'acme/app' },
    onExit: (exit) => {
      exits.push(exit);
    },
  });
  fleets.push(fleet);
  return { dir, repository, mount, fleet, exits };
}

function git(repository: string, args: string[]): string {
  return execFileSync('git', ['-C', repository, ...args], { encoding: 'utf8' }).trim();
}

function request(overrides: Partial<SpawnRequest> = {}): SpawnRequest {
  return {
    idempotencyKey: 'tenant-1/item-42/r1/a1',
    tenant: 'tenant-1',
    workItemId: 'item-42',
    workItemKey: 'ENG-42',
    attempt: 1,
    route: { name: 'app', repository: 'acme/app', agent: 'demo' },
    branch: 'factory/eng-42',
    task: 'You are working on ENG-42: Add a --json flag to the export command\n\nPrint rows as JSON.\n',
    ...overrides,
  };
}

async function eventually<T>(what: string, probe: () => T | undefined): Promise<T> {
  for (let round = 0; round < 1_000; round++) {
    const value = probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

function pullFolders(mount: string): string[] {
  return readdirSync(join(mount, 'github/repos/acme/app/pulls'));
}

describe('the demo agent, run by LocalProcessFleet', () => {
  it('commits a note on its branch and writes an open, ready pull request the mount output target reads', async () => {
    const s = setup();
    const { agentId } = await s.fleet.spawn(request());
    const exit = await eventually('the demo agent to exit', () => s.exits[0]);
    expect(exit).toEqual({ agentId, workItemId: 'item-42', outcome: 'succeeded', exitCode: 0 });

    expect(git(s.repository, ['log', '--format=%s', '-1', 'factory/eng-42'])).toBe(
      'ENG-42: Add a --json flag to the export command',
    );
    const note = git(s.repository, ['show', 'factory/eng-42:factory-demo/eng-42.md']);
    expect(note).toContain('Print rows as JSON.');

    const [folder] = pullFolders(s.mount);
    expect(folder).toMatch(/^\d+__add-a-json-flag-to-the-export-command$/);
    const meta = JSON.parse(
      readFileSync(join(s.mount, 'github/repos/acme/app/pulls', folder as string, 'meta.json'), 'utf8'),
    );
    const number = Number(folder?.split('__')[0]);
    expect(meta).toMatchObject({
      number,
      title: 'ENG-42: Add a --json flag to the export command',
      state: 'open',
      draft: false,
      merged: false,
      head: { ref: 'factory/eng-42', sha: git(s.repository, ['rev-parse', 'factory/eng-42']) },
      html_url: `https://github.com/acme/app/pull/${number}`,
    });

    const outputs = new MountOutputTarget({ mount: new DirectoryMount(s.mount), repositories: ['acme/app'] });
    expect(await outputs.findOutput('acme/app', 'factory/eng-42')).toMatchObject({
      id: `acme/app#${number}`,
      state: 'ready',
      branch: 'factory/eng-42',
    });
  });

  it('titles the pull request from the title block of the default task, not from the text around it', async () => {
    const s = setup();
    const item = sampleWorkItem({
      id: 'item-42',
      key: 'ENG-42',
      title: 'Add a --json flag to the export command',
    });
    const task = new DefaultTaskTemplate().render(
      item,
      { name: 'app', repository: 'acme/app', agent: 'demo' },
      { branch: 'factory/eng-42', attempt: 1, answers: [] },
    );
    await s.fleet.spawn(request({ task }));
    await eventually('the demo agent to exit', () => s.exits[0]);
    expect(git(s.repository, ['log', '--format=%s', '-1', 'factory/eng-42'])).toBe(
      'ENG-42: Add a --json flag to the export command',
    );
  });

  it('a re-run for the same work item writes the same pull request file and no second commit', async () => {
    const s = setup();
    await s.fleet.spawn(request());
    await eventually('the first run', () => s.exits[0]);
    const first = pullFolders(s.mount);
    const commits = git(s.repository, ['rev-list', '--count', 'factory/eng-42']);
    await s.fleet.release(s.exits[0]?.agentId as string);

    await s.fleet.spawn(request({ idempotencyKey: 'tenant-1/item-42/r1/a2', attempt: 2 }));
    expect(await eventually('the second run', () => s.exits[1])).toMatchObject({ outcome: 'succeeded' });
    expect(pullFolders(s.mount)).toEqual(first);
    expect(git(s.repository, ['rev-list', '--count', 'factory/eng-42'])).toBe(commits);
  });
});

describe('the demo agent with bad settings', () => {
  async function runDemoAgent(env: Record<string, string>) {
    const s = setup();
    const worktree = join(s.dir, 'worktree');
    git(s.repository, ['worktree', 'add', '--quiet', '-b', 'factory/eng-42', worktree]);
    const taskFile = join(s.dir, 'TASK.md');
    writeFileSync(taskFile, request().task);
    const base = {
      PATH: process.env.PATH ?? '',
      FACTORY_WORK_ITEM_KEY: 'ENG-42',
      FACTORY_BRANCH: 'factory/eng-42',
      FACTORY_TASK_FILE: taskFile,
      FACTORY_DEMO_MOUNT: s.mount,
      FACTORY_DEMO_REPOSITORY: 'acme/app',
    };
    const result = await run(DEMO_AGENT_COMMAND[0]!, DEMO_AGENT_COMMAND.slice(1), {
      cwd: worktree,
      env: { ...base, ...env },
    }).then(
      (done) => ({ code: 0, stderr: done.stderr }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    return { ...result, s };
  }

  it.each([
    [{ FACTORY_DEMO_MOUNT: '' }, 'demo-agent: FACTORY_DEMO_MOUNT is not set'],
    [
      { FACTORY_DEMO_REPOSITORY: 'not a repository' },
      'FACTORY_DEMO_REPOSITORY "not a repository" must be owner/repo',
    ],
    [{ FACTORY_DEMO_AGENT_DELAY_MS: 'soon' }, 'FACTORY_DEMO_AGENT_DELAY_MS "soon" must be a whole number'],
    [{ FACTORY_DEMO_AGENT_DELAY_MS: '-5' }, 'FACTORY_DEMO_AGENT_DELAY_MS "-5" must be a whole number'],
  ])('%o exits with status 2, one line saying why, and writes nothing', async (env, message) => {
    const { code, stderr, s } = await runDemoAgent(env);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(git(s.repository, ['rev-list', '--count', 'factory/eng-42'])).toBe('1');
    expect(() => readdirSync(s.mount)).toThrow();
  });

  it('waits FACTORY_DEMO_AGENT_DELAY_MS before opening the pull request, and still succeeds', async () => {
    const { code, s } = await runDemoAgent({ FACTORY_DEMO_AGENT_DELAY_MS: '30' });
    expect(code).toBe(0);
    expect(pullFolders(s.mount)).toHaveLength(1);
  });
});
