import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Credential, CredentialStore } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { type CredentialKeySource, type DerivedKeys, deriveKeys } from './credential-key.ts';
import { assertPrivateFile } from './file-permissions.ts';
import { ensurePrivateDirectory } from './private-files.ts';

export interface EncryptedFileCredentialStoreOptions {
  /**
   * The credentials file, e.g. `.factory/credentials.enc`. Its directory is created 0700 if missing, and
   * tightened to 0700 if this user owns it (`ensurePrivateDirectory`).
   */
  path: string;
  key: CredentialKeySource;
}

const FORMAT = 'factory-credentials';
const VERSION = 1;

const credentialSchema = z.strictObject({
  accessToken: z.string().check(z.minLength(1)),
  refreshToken: z.optional(z.string().check(z.minLength(1))),
  expiresAt: z.optional(z.number()),
  scopes: z.array(z.string()),
  tokenType: z.optional(z.string()),
  resource: z.optional(z.strictObject({ id: z.string().check(z.minLength(1)), url: z.optional(z.string()) })),
});

const contentSchema = z.object({
  tenants: z.record(z.string(), z.record(z.string(), credentialSchema)),
});
type Content = z.infer<typeof contentSchema>;

const envelopeSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  kdf: z.enum(['scrypt-n32768-r8-p1', 'hkdf-sha256']),
  salt: z.base64(),
  check: z.base64(),
  iv: z.base64(),
  tag: z.base64(),
  ciphertext: z.base64(),
});
type Envelope = z.infer<typeof envelopeSchema>;

const nameSchema = z
  .string()
  .check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(200, 'is too long'),
    z.regex(/^[^\s/\\]+$/, 'must not contain spaces or slashes'),
  );

/**
 * Every tenant's tokens in one local file, encrypted with AES-256-GCM (a fresh 96-bit IV per write;
 * the header is authenticated as additional data). Written atomically (temporary file, fsync, rename)
 * with mode 0600; a file that other users could read is refused rather than trusted. A wrong key and a
 * tampered file fail with different messages, neither of which contains anything secret.
 */
export class EncryptedFileCredentialStore implements CredentialStore {
  readonly path: string;
  readonly #key: CredentialKeySource;
  readonly #derived = new Map<string, Promise<DerivedKeys>>();
  /** Serialises read-modify-write cycles in this process; see the README for several processes. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: EncryptedFileCredentialStoreOptions) {
    if (typeof options?.path !== 'string' || options.path.length === 0) {
      throw new Error('EncryptedFileCredentialStore: path is required');
    }
    if (!options.key || typeof options.key !== 'object') {
      throw new Error(
        'EncryptedFileCredentialStore: key is required (a passphrase, a key file or key bytes)',
      );
    }
    this.path = options.path;
    this.#key = options.key;
  }

  async get(tenant: string, provider: string): Promise<Credential | undefined> {
    checkNames(tenant, provider);
    return this.#serialised(async () => {
      const content = await this.#read();
      const found = content.tenants[tenant]?.[provider];
      return found ? withoutUndefined(found) : undefined;
    });
  }

  async put(tenant: string, provider: string, credential: Credential): Promise<void> {
    checkNames(tenant, provider);
    const parsed = credentialSchema.safeParse(withoutUndefined(credential));
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || 'credential').join(', ');
      throw new Error(`cannot store the ${provider} credential: invalid ${fields}`);
    }
    return this.#serialised(async () => {
      const content = await this.#read();
      content.tenants[tenant] = { ...content.tenants[tenant], [provider]: parsed.data };
      await this.#write(content);
    });
  }

  async delete(tenant: string, provider: string): Promise<void> {
    checkNames(tenant, provider);
    return this.#serialised(async () => {
      const content = await this.#read();
      const providers = content.tenants[tenant];
      if (!providers || !(provider in providers)) return;
      delete providers[provider];
      if (Object.keys(providers).length === 0) delete content.tenants[tenant];
      await this.#write(content);
    });
  }

  #serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #keys(salt: Buffer): Promise<DerivedKeys> {
    const id = salt.toString('base64');
    let keys = this.#derived.get(id);
    if (!keys) {
      keys = deriveKeys(this.#key, salt);
      keys.catch(() => this.#derived.delete(id));
      this.#derived.set(id, keys);
    }
    return keys;
  }

  async #read(): Promise<Content> {
    let raw: string;
    try {
      await assertPrivateFile(this.path, 'credentials file');
      raw = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tenants: {} };
      throw error;
    }
    let envelope: Envelope;
    try {
      envelope = envelopeSchema.parse(JSON.parse(raw));
    } catch {
      throw new Error(
        `credentials file ${this.path} is damaged or not a factory credentials file; restore it or remove it and connect again`,
      );
    }
    const salt = Buffer.from(envelope.salt, 'base64');
    const keys = await this.#keys(salt);
    const check = Buffer.from(envelope.check, 'base64');
    if (
      keys.kdf !== envelope.kdf ||
      check.length !== keys.check.length ||
      !timingSafeEqual(check, keys.check)
    ) {
      throw new Error(
        `credentials file ${this.path} cannot be opened with this key: the key is wrong (check FACTORY_CREDENTIALS_KEY or the key file), or the file header was altered`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys.encryption, Buffer.from(envelope.iv, 'base64'));
      decipher.setAAD(additionalData(envelope));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      const plaintext = Buffer.concat([
        decipher.update(Buffer.from(envelope.ciphertext, 'base64')),
        decipher.final(),
      ]);
      return contentSchema.parse(JSON.parse(plaintext.toString('utf8')));
    } catch {
      throw new Error(
        `credentials file ${this.path} has been tampered with or is corrupted (its content does not authenticate); restore it from a backup or remove it and connect again`,
      );
    }
  }

  async #write(content: Content): Promise<void> {
    const existingSalt = await this.#currentSalt();
    const salt = existingSalt ?? randomBytes(16);
    const keys = await this.#keys(salt);
    const header = {
      format: FORMAT,
      version: VERSION,
      kdf: keys.kdf,
      salt: salt.toString('base64'),
      check: keys.check.toString('base64'),
    } as const;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keys.encryption, iv);
    cipher.setAAD(additionalData(header));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(content), 'utf8'), cipher.final()]);
    const envelope: Envelope = {
      ...header,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
    await writeAtomically(this.path, `${JSON.stringify(envelope, null, 2)}\n`);
  }

  /** The salt of the file on disk; keeping it saves a key derivation per write. */
  async #currentSalt(): Promise<Buffer | undefined> {
    try {
      const parsed = envelopeSchema.safeParse(JSON.parse(await readFile(this.path, 'utf8')));
      return parsed.success ? Buffer.from(parsed.data.salt, 'base64') : undefined;
    } catch {
      return undefined;
    }
  }
}

function checkNames(tenant: string, provider: string): void {
  const problems: string[] = [];
  const t = nameSchema.safeParse(tenant);
  if (!t.success) problems.push(`tenant ${t.error.issues[0]?.message ?? 'is invalid'}`);
  const p = nameSchema.safeParse(provider);
  if (!p.success) problems.push(`provider ${p.error.issues[0]?.message ?? 'is invalid'}`);
  if (problems.length > 0) throw new Error(`invalid credential key: ${problems.join('; ')}`);
}

/** The header fields that decide how the file is decrypted are authenticated with the ciphertext. */
function additionalData(header: Pick<Envelope, 'format' | 'version' | 'kdf' | 'salt' | 'check'>): Buffer {
  return Buffer.from(JSON.stringify([header.format, header.version, header.kdf, header.salt, header.check]));
}

function withoutUndefined(credential: Credential): Credential {
  return Object.fromEntries(
    Object.entries(credential).filter(([, value]) => value !== undefined),
  ) as Credential;
}

/** Temporary file in the same directory (same filesystem, so rename is atomic), fsynced, then renamed. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const directory = dirname(path);
  ensurePrivateDirectory(directory);
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    // open()'s mode passes through the umask, which can only narrow it; chmod makes it exactly 0600.
    await handle.chmod(0o600);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  // Persist the rename itself; not every platform lets a directory be opened for this.
  const dir = await open(directory, 'r').catch(() => undefined);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}
