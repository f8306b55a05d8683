import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentFiles, writeJsonFile } from '../src/local-process-files.ts';

// `factory start --mount ./workspace` in the clone keeps its runtime files in ./.factory/: the SQLite
// state, the demo repository (a git repository of its own), the fleet's agent records (JSON written
// with JSON.stringify, which biome's formatter would rewrite) and the agents' worktrees. `npm run lint`
// (`biome check .`) and git must both leave that folder alone.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIOME = path.join(ROOT, 'node_modules', '.bin', 'biome');

let tree: string;
beforeEach(async () => {
  tree = await mkdtemp(path.join(tmpdir(), 'factory-lint-'));
  // The repository's lint settings and ignore file, as they are (the schema path only resolves in the clone).
  const { $schema: _schema, ...settings } = JSON.parse(await readFile(path.join(ROOT, 'biome.json'), 'utf8'));
  await writeFile(path.join(tree, 'biome.json'), `${JSON.stringify(settings, null, 2)}\n`);
  await writeFile(path.join(tree, '.gitignore'), await readFile(path.join(ROOT, '.gitignore'), 'utf8'));
  // Written back as biome formats it (a short array on one line), so only what the tests add is linted.
  await run(BIOME, ['format', '--write', 'biome.json'], { cwd: tree });
  await mkdir(path.join(tree, 'src'));
  await writeFile(path.join(tree, 'src', 'ok.ts'), 'export const ok = 1;\n');
});
afterEach(async () => {
  await rm(tree, { recursive: true, force: true });
});

/** What the local fleet writes for an agent, through its own writer, under `<stateDir>/fleet/agents/`. */
async function writeAgentRecord(stateDir: string): Promise<string> {
  const agentDir = path.join(stateDir, 'fleet', 'agents', 'local-0123456789abcdef01234567');
  await mkdir(agentDir, { recursive: true });
  const file = agentFiles(agentDir).run;
  writeJsonFile(file, { command: ['/usr/bin/node', '/opt/factory/bin/demo-agent.ts'], cwd: '/tmp/worktree' });
  return file;
}

async function lint(): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(BIOME, ['check', '.', '--colors=off'], { cwd: tree });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('npm run lint (biome check .) beside the runtime files of `factory start --mount`', () => {
  it('the runtime files would fail the formatter if they were linted', async () => {
    const file = await writeAgentRecord(path.join(tree, 'runtime'));

    const result = await lint();

    expect(result.code).toBe(1);
    expect(result.output).toContain(path.relative(tree, file));
  });

  it('passes with them under ./.factory/, at the root or in a package folder, and still checks the rest', async () => {
    await writeAgentRecord(path.join(tree, '.factory'));
    await writeAgentRecord(path.join(tree, 'packages', 'cli', '.factory'));
    await writeFile(path.join(tree, '.factory', 'state.sqlite'), Buffer.from([0x53, 0x51, 0x4c, 0x00, 0xff]));

    const clean = await lint();

    expect(clean.code).toBe(0);
    expect(clean.output).not.toContain('.factory');

    // The rest is still linted: a badly formatted source file is reported.
    await writeFile(path.join(tree, 'src', 'bad.ts'), 'export const bad = {a:1}\n');
    const dirty = await lint();
    expect(dirty.code).toBe(1);
    expect(dirty.output).toContain(path.join('src', 'bad.ts'));
    expect(dirty.output).not.toContain('.factory');
  });
});

describe("the repository's .gitignore", () => {
  it.each([
    '.factory/state.sqlite',
    '.factory/fleet/agents/local-0123456789abcdef01234567/run.json',
    'packages/cli/.factory/demo-repo/README',
    'node_modules/@example/not-installed/index.js',
    'packages/cli/node_modules/left-pad/index.js',
    'packages/cli/dist/index.js',
    'packages/cli/tsconfig.tsbuildinfo',
  ])('ignores %s', async (file) => {
    // `--no-index`: by the ignore rules alone, whatever is on disk or in the index.
    await expect(
      run('git', ['check-ignore', '--no-index', '--quiet', file], { cwd: ROOT }),
    ).resolves.toBeDefined();
  });

  it('does not ignore the sources', async () => {
    await expect(
      run('git', ['check-ignore', '--no-index', '--quiet', 'packages/cli/src/cli.ts'], { cwd: ROOT }),
    ).rejects.toMatchObject({ code: 1 });
  });
});
