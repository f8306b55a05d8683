import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Credential } from '@software-factory/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialKeyFromEnv, EncryptedFileCredentialStore } from '../src/index.ts';
import { rejectionOf } from './support/capture.ts';

const PASSPHRASE = 'correct horse battery staple';
const linear: Credential = {
  accessToken: 'lin_oauth_8f2c1d9e7b6a5f4e3d2c1b0a9f8e7d6c',
  refreshToken: 'lin_refresh_0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  expiresAt: 1_767_225_600_000,
  scopes: ['read', 'write'],
  tokenType: 'bearer',
};
const slack: Credential = {
  accessToken: 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy',
  scopes: ['chat:write'],
};

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'factory-auth-'));
  path = join(dir, '.factory', 'credentials.enc');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const store = (
  key: ConstructorParameters<typeof EncryptedFileCredentialStore>[0]['key'] = { passphrase: PASSPHRASE },
) => new EncryptedFileCredentialStore({ path, key });

describe('EncryptedFileCredentialStore', () => {
  it('stores, reads back and deletes credentials per tenant and provider', async () => {
    const credentials = store();
    expect(await credentials.get('acme', 'linear')).toBeUndefined();
    await credentials.put('acme', 'linear', linear);
    await credentials.put('acme', 'slack', slack);
    await credentials.put('globex', 'linear', {
      accessToken: 'lin_oauth_globex0000000000000000',
      scopes: ['read'],
    });

    // A second instance (another process, later) reads the same file.
    const reopened = store();
    expect(await reopened.get('acme', 'linear')).toEqual(linear);
    expect(await reopened.get('acme', 'slack')).toEqual(slack);
    expect((await reopened.get('globex', 'linear'))?.accessToken).toBe('lin_oauth_globex0000000000000000');
    expect(await reopened.get('globex', 'slack')).toBeUndefined();

    await reopened.delete('acme', 'linear');
    expect(await store().get('acme', 'linear')).toBeUndefined();
    expect(await store().get('acme', 'slack')).toEqual(slack);
    await reopened.delete('acme', 'linear'); // deleting what is not there is fine
  });

  it('creates the file with mode 0600 and its directory with mode 0700', async () => {
    await store().put('acme', 'linear', linear);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, '.factory'))).mode & 0o777).toBe(0o700);
  });

  it('keeps no token in clear on disk, and uses a fresh IV for every write', async () => {
    const credentials = store();
    await credentials.put('acme', 'linear', linear);
    const first = JSON.parse(await readFile(path, 'utf8'));
    await credentials.put('acme', 'linear', linear);
    const second = JSON.parse(await readFile(path, 'utf8'));

    const raw = await readFile(path, 'utf8');
    expect(raw).not.toContain(linear.accessToken);
    expect(raw).not.toContain('acme');
    expect(first.iv).not.toBe(second.iv);
    expect(Buffer.from(first.iv, 'base64').length).toBe(12);
    expect(first.ciphertext).not.toBe(second.ciphertext);
    expect(first.salt).toBe(second.salt);
    expect(first.kdf).toBe('scrypt-n32768-r8-p1');
  });

  it('writes atomically: no temporary file is left behind, and a concurrent burst of writes loses nothing', async () => {
    const credentials = store();
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        credentials.put('acme', `provider-${index}`, {
          accessToken: `token-${index}-${'x'.repeat(20)}`,
          scopes: [],
        }),
      ),
    );
    expect(await readdir(join(dir, '.factory'))).toEqual(['credentials.enc']);
    const reopened = store();
    for (let index = 0; index < 8; index += 1) {
      expect((await reopened.get('acme', `provider-${index}`))?.accessToken).toBe(
        `token-${index}-${'x'.repeat(20)}`,
      );
    }
  });

  it('cannot be opened with a wrong key, and says so without quoting either key', async () => {
    await store().put('acme', 'linear', linear);
    const wrong = 'incorrect horse battery staple';
    const error = await rejectionOf(store({ passphrase: wrong }).get('acme', 'linear'));
    expect(error.message).toBe(
      `credentials file ${path} cannot be opened with this key: the key is wrong (check FACTORY_CREDENTIALS_KEY or the key file), or the file header was altered`,
    );
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(PASSPHRASE);
    // And writes with the wrong key do not clobber the file.
    await expect(store({ passphrase: wrong }).put('acme', 'slack', slack)).rejects.toThrow(
      /cannot be opened/,
    );
    expect(await store().get('acme', 'linear')).toEqual(linear);
  });

  it('rejects a tampered file', async () => {
    await store().put('acme', 'linear', linear);
    const envelope = JSON.parse(await readFile(path, 'utf8'));
    const bytes = Buffer.from(envelope.ciphertext, 'base64');
    bytes[5] = (bytes[5] ?? 0) ^ 0x01;
    await writeFile(path, JSON.stringify({ ...envelope, ciphertext: bytes.toString('base64') }), {
      mode: 0o600,
    });

    const error = await rejectionOf(store().get('acme', 'linear'));
    expect(error.message).toBe(
      `credentials file ${path} has been tampered with or is corrupted (its content does not authenticate); restore it from a backup or remove it and connect again`,
    );
  });

  it('rejects a file whose authentication tag or IV was swapped', async () => {
    await store().put('acme', 'linear', linear);
    const envelope = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...envelope, iv: randomBytes(12).toString('base64') }), {
      mode: 0o600,
    });
    await expect(store().get('acme', 'linear')).rejects.toThrow(/tampered with or is corrupted/);
  });

  it('rejects a file that is not a credentials file at all', async () => {
    await store().put('acme', 'linear', linear);
    await writeFile(path, '{"tenants":{}}', { mode: 0o600 });
    await expect(store().get('acme', 'linear')).rejects.toThrow(/damaged or not a factory credentials file/);
  });

  it('refuses to read a file other users can read (mode 0644)', async () => {
    await store().put('acme', 'linear', linear);
    await chmod(path, 0o644);
    const error = await rejectionOf(store().get('acme', 'linear'));
    expect(error.message).toBe(
      `credentials file ${path} is readable or writable by other users (mode 0644); refusing to read it. Run \`chmod 600 ${path}\` if you trust its content, or remove it and connect again`,
    );
    await expect(store().put('acme', 'slack', slack)).rejects.toThrow(/mode 0644/);
    expect((await stat(path)).mode & 0o777).toBe(0o644);
  });

  it('refuses to follow a symlink in place of the credentials file', async () => {
    const elsewhere = join(dir, 'elsewhere.enc');
    await new EncryptedFileCredentialStore({ path: elsewhere, key: { passphrase: PASSPHRASE } }).put(
      'acme',
      'linear',
      linear,
    );
    await mkdir(join(dir, '.factory'), { recursive: true });
    await symlink(elsewhere, path);
    await expect(store().get('acme', 'linear')).rejects.toThrow(
      `credentials file ${path} is not a regular file; refusing to read it`,
    );
  });

  it('opens with a key file (base64, 32 random bytes) through HKDF, and refuses a key file others can read', async () => {
    const keyFile = join(dir, 'credentials.key');
    await writeFile(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    await store({ keyFile }).put('acme', 'linear', linear);
    expect(await store({ keyFile }).get('acme', 'linear')).toEqual(linear);
    expect(JSON.parse(await readFile(path, 'utf8')).kdf).toBe('hkdf-sha256');
    // A passphrase cannot open a file written with a key file.
    await expect(store().get('acme', 'linear')).rejects.toThrow(/cannot be opened with this key/);

    await chmod(keyFile, 0o640);
    await expect(store({ keyFile }).get('acme', 'linear')).rejects.toThrow(
      /credentials key file .* is readable or writable by other users \(mode 0640\)/,
    );
  });

  it('accepts raw key bytes, and refuses keys too short to be keys', async () => {
    const key = randomBytes(32);
    await store({ key }).put('acme', 'linear', linear);
    expect(await store({ key }).get('acme', 'linear')).toEqual(linear);
    await expect(store({ key: randomBytes(16) }).get('acme', 'linear')).rejects.toThrow(
      'the credentials key must be at least 32 random bytes (got 16)',
    );
    await expect(store({ passphrase: 'short' }).put('other', 'linear', linear)).rejects.toThrow(
      'the credentials passphrase is too short: use at least 12 characters',
    );
    await expect(store({ keyFile: join(dir, 'missing.key') }).get('acme', 'linear')).rejects.toThrow(
      /credentials key file .*missing\.key does not exist/,
    );
  });

  it('refuses bad keys and bad credentials, leaving the file unchanged', async () => {
    const credentials = store();
    await credentials.put('acme', 'linear', linear);
    const before = await readFile(path, 'utf8');
    await expect(credentials.put('', 'linear', linear)).rejects.toThrow(
      'invalid credential key: tenant must not be empty',
    );
    await expect(credentials.put('acme', 'linear/../x', linear)).rejects.toThrow(
      'invalid credential key: provider must not contain spaces or slashes',
    );
    await expect(credentials.get('acme corp', 'linear')).rejects.toThrow(/tenant must not contain spaces/);
    await expect(credentials.put('acme', 'linear', { accessToken: '', scopes: [] })).rejects.toThrow(
      'cannot store the linear credential: invalid accessToken',
    );
    await expect(
      credentials.put('acme', 'linear', {
        accessToken: 'x'.repeat(10),
        scopes: 'read',
      } as unknown as Credential),
    ).rejects.toThrow('cannot store the linear credential: invalid scopes');
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('refuses construction without a path or a key', () => {
    expect(() => new EncryptedFileCredentialStore({ path: '', key: { passphrase: PASSPHRASE } })).toThrow(
      /path is required/,
    );
    expect(
      () => new EncryptedFileCredentialStore({ path, key: undefined as unknown as { passphrase: string } }),
    ).toThrow(/key is required/);
  });
});

describe('credentialKeyFromEnv', () => {
  it('prefers a key file, then a passphrase, and is undefined when neither is set', () => {
    expect(
      credentialKeyFromEnv({ FACTORY_CREDENTIALS_KEY_FILE: '/k', FACTORY_CREDENTIALS_KEY: 'p' }),
    ).toEqual({
      keyFile: '/k',
    });
    expect(credentialKeyFromEnv({ FACTORY_CREDENTIALS_KEY: PASSPHRASE })).toEqual({ passphrase: PASSPHRASE });
    expect(credentialKeyFromEnv({ FACTORY_CREDENTIALS_KEY: '' })).toBeUndefined();
    expect(credentialKeyFromEnv({})).toBeUndefined();
  });
});
