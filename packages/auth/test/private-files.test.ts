import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EncryptedFileCredentialStore,
  ensurePrivateDirectory,
  ensurePrivateFile,
  keepPrivate,
} from '../src/index.ts';

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

let dir: string;
let umask: number;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'factory-private-'));
  // The most permissive umask: whatever is private below is so by the code, not by the environment.
  umask = process.umask(0);
});
afterEach(async () => {
  process.umask(umask);
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform === 'win32')('private files and folders', () => {
  it('creates missing folders 0700, each of them, whatever the umask', async () => {
    ensurePrivateDirectory(join(dir, 'a', 'b', 'c'));
    for (const folder of ['a', 'a/b', 'a/b/c']) expect(await modeOf(join(dir, folder))).toBe(0o700);
    // A folder that was there before the call keeps its mode.
    expect(await modeOf(dir)).toBe(0o700);
  });

  it('creates a missing file 0600 before anyone else can, and tightens an existing one this user owns', async () => {
    const file = join(dir, 'state.sqlite');
    ensurePrivateFile(file);
    expect(await modeOf(file)).toBe(0o600);
    await writeFile(join(dir, 'wal'), 'x', { mode: 0o664 });
    await chmod(join(dir, 'wal'), 0o664);
    keepPrivate(join(dir, 'wal'));
    expect(await modeOf(join(dir, 'wal'))).toBe(0o600);
    keepPrivate(join(dir, 'not-there')); // nothing to do
  });

  it('tightens an existing folder this user owns, keeping its owner bits', async () => {
    const folder = join(dir, '.factory');
    await mkdir(folder);
    await chmod(folder, 0o755);
    const warnings: string[] = [];
    ensurePrivateDirectory(folder, { warn: (message) => warnings.push(message) });
    expect(await modeOf(folder)).toBe(0o700);
    expect(warnings).toEqual([]);
  });

  it('leaves the working directory alone (it holds more than the factory’s files)', async () => {
    const before = await modeOf(process.cwd());
    ensurePrivateDirectory(process.cwd());
    expect(await modeOf(process.cwd())).toBe(before);
  });

  it('warns once, and changes nothing, for a folder that belongs to another user', async () => {
    const folder = join(dir, 'shared');
    await mkdir(folder);
    await chmod(folder, 0o755);
    const owner = (await stat(folder)).uid;
    const warnings: string[] = [];
    const warn = (message: string) => warnings.push(message);
    // Run as someone who does not own the folder.
    const getuid = process.getuid;
    process.getuid = () => owner + 1;
    try {
      ensurePrivateDirectory(folder, { warn });
      ensurePrivateDirectory(folder, { warn });
    } finally {
      process.getuid = getuid;
    }
    expect(await modeOf(folder)).toBe(0o755);
    expect(warnings).toEqual([
      `the folder ${folder} holds the factory's private state but other users can read it (mode 0755), and it belongs to another user (uid ${owner}), so it is left as it is; run \`chmod 700 ${folder}\` as its owner`,
    ]);
  });

  it('the credentials file is 0600 in a 0700 folder, and an existing wider folder is tightened', async () => {
    const folder = join(dir, '.factory');
    await mkdir(folder);
    await chmod(folder, 0o755);
    const path = join(folder, 'credentials.enc');
    const store = new EncryptedFileCredentialStore({
      path,
      key: { passphrase: 'correct horse battery staple' },
    });
    await store.put('acme', 'linear', { accessToken: 'lin_oauth_0000000000000000', scopes: ['read'] });
    expect(await modeOf(path)).toBe(0o600);
    expect(await modeOf(folder)).toBe(0o700);
  });
});
