import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const manifest = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { engines?: { node?: string } };
const MINIMUM = manifest(join(ROOT, 'package.json')).engines?.node ?? '';
const VERSION = MINIMUM.replace(/^>=/, '');

const work = mkdtempSync(join(tmpdir(), 'factory-node-minimum-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of a script beside a package.json that asks for `engines`, run by this Node. */
async function runAgainst(script: string, relative: string, engines: string, args: string[] = []) {
  const dir = mkdtempSync(join(work, 'copy-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(script, join(dir, relative));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', engines: { node: engines } }));
  return run(process.execPath, [join(dir, relative), ...args]).then(
    (result) => ({ code: 0, ...result }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('one Node minimum, stated once', () => {
  it('is the root `engines`, and every package states the same', () => {
    expect(MINIMUM).toMatch(/^>=\d+\.\d+$/);
    for (const dir of readdirSync(join(ROOT, 'packages'))) {
      expect([dir, manifest(join(ROOT, 'packages', dir, 'package.json')).engines?.node]).toEqual([
        dir,
        MINIMUM,
      ]);
    }
  });

  it('is the one the README names', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const named = [...readme.matchAll(/Node(?:\.js)? ≥ (\d+\.\d+)/g)].map((match) => match[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set([VERSION]));
  });

  it('factory, on a Node below it, says in one line which version it needs and exits 2', async () => {
    const result = await runAgainst(join(ROOT, 'packages/cli/bin/factory.js'), 'bin/factory.js', '>=99.1', [
      '--version',
    ]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      `factory: needs Node 99.1 or newer, and this is ${process.version} (${process.execPath})`,
    ]);
  });

  it("the project's own scripts stop the same way (scripts/check-node.mjs)", async () => {
    const refused = await runAgainst(join(ROOT, 'scripts/check-node.mjs'), 'bin/check-node.mjs', '>=99.1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('factory needs Node 99.1 or newer for its scripts');
    const accepted = await runAgainst(join(ROOT, 'scripts/check-node.mjs'), 'bin/check-node.mjs', MINIMUM);
    expect(accepted).toMatchObject({ code: 0, stdout: `Node ${process.version} (${process.execPath})\n` });
  });
});
