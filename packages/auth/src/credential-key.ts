import { hkdfSync, scrypt as scryptCallback } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { assertPrivateFile } from './file-permissions.ts';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  length: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Where the credentials file's key comes from. */
export type CredentialKeySource =
  /** Something a person typed or a secret manager holds; stretched with scrypt. */
  | { passphrase: string }
  /** A file holding at least 32 random bytes (raw, hex or base64), e.g. from `openssl rand -base64 32`. */
  | { keyFile: string }
  /** 32 or more random bytes. */
  | { key: Uint8Array };

export const KEY_ENV = 'FACTORY_CREDENTIALS_KEY';
export const KEY_FILE_ENV = 'FACTORY_CREDENTIALS_KEY_FILE';

/**
 * The key source named by the environment: `FACTORY_CREDENTIALS_KEY_FILE` (a key file) or
 * `FACTORY_CREDENTIALS_KEY` (a passphrase); undefined when neither is set.
 */
export function credentialKeyFromEnv(
  env: Record<string, string | undefined> = process.env,
): CredentialKeySource | undefined {
  const file = env[KEY_FILE_ENV];
  if (file !== undefined && file !== '') return { keyFile: file };
  const passphrase = env[KEY_ENV];
  if (passphrase !== undefined && passphrase !== '') return { passphrase };
  return undefined;
}

/** The two keys one credentials file uses, both bound to the file's salt. */
export interface DerivedKeys {
  kdf: KdfName;
  encryption: Buffer;
  /** Stored in the file so a wrong key is told apart from a tampered file. One-way; reveals nothing. */
  check: Buffer;
}

export type KdfName = 'scrypt-n32768-r8-p1' | 'hkdf-sha256';

const SCRYPT = { N: 32_768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const MIN_PASSPHRASE_LENGTH = 12;
const KEY_BYTES = 32;

/**
 * Passphrases go through scrypt: they are guessable, and a memory-hard function makes each guess
 * against a stolen file expensive. Random keys go straight to HKDF-SHA256: they have full entropy,
 * so stretching buys nothing; HKDF still binds them to the file's salt and separates the two uses.
 */
export async function deriveKeys(source: CredentialKeySource, salt: Buffer): Promise<DerivedKeys> {
  let material: Buffer;
  let kdf: KdfName;
  if ('passphrase' in source) {
    if (source.passphrase.length < MIN_PASSPHRASE_LENGTH) {
      throw new Error(
        `the credentials passphrase is too short: use at least ${MIN_PASSPHRASE_LENGTH} characters`,
      );
    }
    material = await scrypt(source.passphrase.normalize('NFC'), salt, KEY_BYTES, SCRYPT);
    kdf = 'scrypt-n32768-r8-p1';
  } else {
    material = 'key' in source ? Buffer.from(source.key) : await readKeyFile(source.keyFile);
    if (material.length < KEY_BYTES) {
      throw new Error(
        `the credentials key must be at least ${KEY_BYTES} random bytes (got ${material.length})`,
      );
    }
    kdf = 'hkdf-sha256';
  }
  return {
    kdf,
    encryption: Buffer.from(
      hkdfSync('sha256', material, salt, 'factory credentials v1: encryption', KEY_BYTES),
    ),
    check: Buffer.from(hkdfSync('sha256', material, salt, 'factory credentials v1: key check', 16)),
  };
}

async function readKeyFile(path: string): Promise<Buffer> {
  try {
    await assertPrivateFile(path, 'credentials key file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`credentials key file ${path} does not exist`);
    }
    throw error;
  }
  const raw = await readFile(path);
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64,}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43,}={0,2}$/.test(text)) return Buffer.from(text, 'base64');
  return raw;
}
