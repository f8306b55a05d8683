import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { VERSION } from '../src/version.ts';
import { runFactory } from './support/factory-process.ts';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'factory-cli-'));
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

async function tempFolder(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('the factory command', () => {
  it('prints its version', async () => {
    const { code, stdout } = await runFactory(['--version'], { cwd });
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(VERSION);
  });

  it.each([
    { args: ['strat'], says: "factory: unknown command 'strat' (Did you mean start?)" },
    { args: ['--colour'], says: "factory: unknown option '--colour'" },
    { args: ['start', '--bogus'], says: "factory: unknown option '--bogus'" },
    {
      args: ['start', '--port', 'eighty'],
      says: "factory: option '-p, --port <number>' argument 'eighty' is invalid. expected a port number from 0 to 65535.",
    },
    { args: ['start', '--port', '70000'], says: 'expected a port number from 0 to 65535' },
    {
      args: ['start', '--log-level', 'loud'],
      says: "argument 'loud' is invalid. Allowed choices are debug, info, warn, error.",
    },
    { args: ['start', '--mount', 'no-such-folder'], says: 'factory: --mount no-such-folder: no such folder' },
    {
      args: ['start'],
      says: 'factory: no factory.config.yaml here; pass --config <file>, or --mount <dir> to run against a local folder',
    },
    { args: ['start', '--config', 'missing.yaml'], says: 'factory: missing.yaml: no such config file' },
  ])('rejects `factory $args` with one line and exit code 2', async ({ args, says }) => {
    const { code, stdout, stderr } = await runFactory(args, { cwd });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(says);
    expect(stdout).toBe('');
  });

  it('reports a bad config with file, line and column, and exit code 2', async () => {
    const dir = await tempFolder('factory-cli-config-');
    await writeFile(path.join(dir, 'factory.config.yaml'), 'limits:\n  maxInFlight: three\n');
    const { code, stderr } = await runFactory(['start'], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'factory.config.yaml:2:16 limits.maxInFlight: expected a positive integer, got "three"',
    );
  });

  it('refuses to run the demo in a folder that is not empty', async () => {
    const dir = await tempFolder('factory-cli-demo-');
    await writeFile(path.join(dir, 'keep.txt'), 'mine');
    const { code, stderr } = await runFactory(['demo', '--dir', dir], { cwd });
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`factory: --dir ${dir}: the folder is not empty; give a new or empty one`);
  });
});
