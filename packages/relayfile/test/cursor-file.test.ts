import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCursorFile, writeCursorFile } from '../src/cursor-file.ts';

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

let dir: string;
let umask: number;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'factory-cursor-'));
  // The most permissive umask: what is private below is so by the code.
  umask = process.umask(0);
});
afterEach(async () => {
  process.umask(umask);
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform === 'win32')('the relay cursor file', () => {
  it('is 0600 in folders it makes 0700', async () => {
    const path = join(dir, '.factory', 'relay', 'local.cursor.json');
    await writeCursorFile(path, 'evt-1');
    expect(await readCursorFile(path)).toBe('evt-1');
    expect(await modeOf(path)).toBe(0o600);
    expect(await modeOf(join(dir, '.factory', 'relay'))).toBe(0o700);
    expect(await modeOf(join(dir, '.factory'))).toBe(0o700);
  });

  it('tightens its existing folder when this user owns it', async () => {
    const folder = join(dir, 'relay');
    await mkdir(folder);
    await chmod(folder, 0o755);
    await writeCursorFile(join(folder, 'cursor.json'), 'evt-2');
    expect(await modeOf(folder)).toBe(0o700);
    expect(await modeOf(join(folder, 'cursor.json'))).toBe(0o600);
  });
});
