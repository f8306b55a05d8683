/**
 * Authenticated encryption of small values (stored credentials) with the deployment's key, on the Web
 * Crypto API only, so the same code runs in Node, Lambda and Workers.
 *
 * The AES-256-GCM key is derived from the secret with HKDF-SHA256 rather than used as it is, so the
 * secret can serve other purposes (with other `info`) without two uses sharing one key. Every value is
 * bound to a context (e.g. `['credential', tenant, provider]`) as associated data: a record copied to
 * another tenant's or provider's key does not open.
 */

/** A sealed value as it is stored: JSON-safe, every part base64url. */
export interface SealedValue {
  v: 1;
  /** The 12-byte GCM nonce, fresh for every seal. */
  iv: string;
  /** Ciphertext followed by the 16-byte tag. */
  data: string;
}

/** A value that cannot be opened: not a sealed value, another key, another context, or altered. */
export class SealError extends Error {
  constructor(message = 'does not decrypt: sealed for another context or with another key') {
    super(message);
    this.name = 'SealError';
  }
}

/** The fewest key bytes accepted: AES-256 wants 32, and a shorter secret would be the weak link. */
export const MIN_SEALED_BOX_KEY_BYTES = 32;

const HKDF_INFO = 'factory sealed box v1';
// A fixed, public salt: the input is already a uniformly random key, so the salt only separates this
// derivation from any other HKDF use of the same secret (RFC 5869, section 3.1).
const HKDF_SALT = 'factory sealed box salt v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const SECRET_FORMAT_HELP =
  'expected a key of at least 32 random bytes, written as hex (64 or more hex digits) or base64/base64url; make one with `openssl rand -base64 32`';

export class SealedBox {
  readonly #key: CryptoKey;

  private constructor(key: CryptoKey) {
    this.#key = key;
  }

  /**
   * The box for a deployment key as it is written in a secret: hex (at least 64 digits) or
   * base64/base64url of at least 32 bytes. Surrounding whitespace is ignored. The error for anything
   * else says what is expected, never what was given.
   */
  static async fromSecret(secret: string): Promise<SealedBox> {
    if (typeof secret !== 'string') throw new Error(`invalid sealed box key: ${SECRET_FORMAT_HELP}`);
    const bytes = decodeSecret(secret.trim());
    if (!bytes) throw new Error(`invalid sealed box key: ${SECRET_FORMAT_HELP}`);
    return SealedBox.fromKey(bytes);
  }

  /** The box for raw key bytes (at least 32). */
  static async fromKey(bytes: Uint8Array): Promise<SealedBox> {
    if (!(bytes instanceof Uint8Array) || bytes.byteLength < MIN_SEALED_BOX_KEY_BYTES) {
      throw new Error(`invalid sealed box key: ${SECRET_FORMAT_HELP}`);
    }
    const material = await crypto.subtle.importKey('raw', copy(bytes), 'HKDF', false, ['deriveKey']);
    const key = await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(HKDF_SALT), info: encoder.encode(HKDF_INFO) },
      material,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
    return new SealedBox(key);
  }

  /** Encrypts `plaintext`, bound to `context`; every call uses a fresh random IV. */
  async seal(plaintext: string, context: readonly string[]): Promise<SealedValue> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const data = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: associatedData(context), tagLength: TAG_BYTES * 8 },
      this.#key,
      encoder.encode(plaintext),
    );
    return { v: 1, iv: toBase64Url(iv), data: toBase64Url(new Uint8Array(data)) };
  }

  /** The plaintext of `sealed`; a `SealError` if it is not a sealed value or does not open for `context`. */
  async open(sealed: unknown, context: readonly string[]): Promise<string> {
    if (!isSealedValue(sealed)) throw new SealError('not a sealed value');
    const iv = fromBase64Url(sealed.iv);
    const data = fromBase64Url(sealed.data);
    if (!iv || iv.byteLength !== IV_BYTES || !data || data.byteLength < TAG_BYTES) {
      throw new SealError('not a sealed value');
    }
    let plaintext: ArrayBuffer;
    try {
      plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: associatedData(context), tagLength: TAG_BYTES * 8 },
        this.#key,
        data,
      );
    } catch {
      throw new SealError();
    }
    try {
      return decoder.decode(plaintext);
    } catch {
      throw new SealError('does not decrypt to text');
    }
  }
}

/** True when `value` has the shape of a `SealedValue` (it may still not open). */
export function isSealedValue(value: unknown): value is SealedValue {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    candidate.v === 1 &&
    typeof candidate.iv === 'string' &&
    typeof candidate.data === 'string' &&
    BASE64URL.test(candidate.iv) &&
    BASE64URL.test(candidate.data)
  );
}

// JSON of the array is unambiguous: ['a,b'] and ['a', 'b'] encode differently.
function associatedData(context: readonly string[]): Uint8Array<ArrayBuffer> {
  if (!Array.isArray(context) || !context.every((part) => typeof part === 'string')) {
    throw new TypeError('sealed box context must be an array of strings');
  }
  return encoder.encode(JSON.stringify(context));
}

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodeSecret(secret: string): Uint8Array<ArrayBuffer> | undefined {
  // Hex first: a random base64 key of 43+ characters is never all hex digits, but a hex key is valid base64.
  if (HEX.test(secret)) {
    if (secret.length < MIN_SEALED_BOX_KEY_BYTES * 2 || secret.length % 2 !== 0) return undefined;
    const bytes = new Uint8Array(secret.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(secret.slice(i * 2, i * 2 + 2), 16);
    return bytes;
  }
  const standard = secret.replaceAll('-', '+').replaceAll('_', '/');
  if (!BASE64.test(standard)) return undefined;
  const bytes = fromBase64(standard);
  if (!bytes || bytes.byteLength < MIN_SEALED_BOX_KEY_BYTES) return undefined;
  return bytes;
}

function fromBase64(standard: string): Uint8Array<ArrayBuffer> | undefined {
  const unpadded = standard.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  try {
    const binary = atob(unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4));
    return Uint8Array.from(binary, (character) => character.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64URL.test(text)) return undefined;
  return fromBase64(text.replaceAll('-', '+').replaceAll('_', '/'));
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const result = new Uint8Array(bytes.byteLength);
  result.set(bytes);
  return result;
}
