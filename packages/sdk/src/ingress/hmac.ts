const encoder = new TextEncoder();

/**
 * The part of `node:crypto` these functions use, typed here so the core needs no Node types: it also
 * compiles and runs on runtimes without Node's modules (Workers), where Web Crypto does the work.
 */
interface NodeCrypto {
  createHmac(algorithm: 'sha256', key: string | Uint8Array | NodeSecretKey): NodeDigest;
  createHash(algorithm: 'sha256'): NodeDigest;
  createSecretKey(key: Uint8Array): NodeSecretKey;
}
/** A `KeyObject`: what `createHmac` turns a secret given as text into on every call, made once. */
type NodeSecretKey = { readonly type: 'secret' };
interface NodeDigest {
  update(data: string | Uint8Array): NodeDigest;
  digest(encoding: 'hex' | 'base64'): string;
}

/**
 * `node:crypto` where the runtime has it (Node, Lambda; Workers with Node compatibility), looked up at
 * run time rather than imported, so loading the core never requires a `node:` module. Synchronous and
 * several times cheaper than Web Crypto, whose every call is a promise on a job queue.
 */
const nodeCrypto: NodeCrypto | undefined = (() => {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const found = runtime?.getBuiltinModule?.('node:crypto') as Partial<NodeCrypto> | undefined;
    return typeof found?.createHmac === 'function' &&
      typeof found.createHash === 'function' &&
      typeof found.createSecretKey === 'function'
      ? (found as NodeCrypto)
      : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * The keys made of secrets, by runtime: making a key costs as much as a signature, and a process
 * verifies with a handful of secrets, so each is made once. Keyed by the secret itself (prefixed by its
 * type for Web Crypto): hashing it first would cost what the cache saves, and every secret here is one a
 * live source already holds. Bounded, least recently used first out.
 */
const MAX_CACHED_KEYS = 64;

function keptKey<V>(keys: Map<string, V>, id: string, make: () => V): V {
  const cached = keys.get(id);
  if (cached !== undefined) {
    keys.delete(id);
    keys.set(id, cached);
    return cached;
  }
  const made = make();
  keys.set(id, made);
  if (keys.size > MAX_CACHED_KEYS) keys.delete(keys.keys().next().value as string);
  return made;
}

/** Imported HMAC keys, for the runtimes without `node:crypto`. */
const importedKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string | Uint8Array): Promise<CryptoKey> {
  const id = typeof secret === 'string' ? `s:${secret}` : `b:${toHex(secret)}`;
  return keptKey(importedKeys, id, () => {
    const imported = crypto.subtle.importKey(
      'raw',
      toBytes(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    // A failed import is not kept: the next call tries again.
    imported.catch(() => importedKeys.delete(id));
    return imported;
  });
}

async function hmacSha256Bytes(secret: string | Uint8Array, data: string | Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), toBytes(data)));
}

/**
 * `node:crypto`'s keys for secrets given as text: given the text, `createHmac` encodes it and makes a
 * key of it on every call.
 */
const nodeKeys = new Map<string, NodeSecretKey>();

function nodeKey(crypto: NodeCrypto, secret: string | Uint8Array): string | Uint8Array | NodeSecretKey {
  if (typeof secret !== 'string') return secret;
  return keptKey(nodeKeys, secret, () => crypto.createSecretKey(encoder.encode(secret)));
}

/** Hex HMAC-SHA256: `node:crypto` where it exists, Web Crypto (with the key imported once) elsewhere. */
export async function hmacSha256Hex(secret: string | Uint8Array, data: string | Uint8Array): Promise<string> {
  if (nodeCrypto)
    return nodeCrypto.createHmac('sha256', nodeKey(nodeCrypto, secret)).update(data).digest('hex');
  return toHex(await hmacSha256Bytes(secret, data));
}

/** Hex SHA-256 of bytes or text. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  if (nodeCrypto) return nodeCrypto.createHash('sha256').update(data).digest('hex');
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', toBytes(data))));
}

/** Base64 HMAC-SHA256, for senders that sign that way. */
export async function hmacSha256Base64(
  secret: string | Uint8Array,
  data: string | Uint8Array,
): Promise<string> {
  if (nodeCrypto)
    return nodeCrypto.createHmac('sha256', nodeKey(nodeCrypto, secret)).update(data).digest('base64');
  let binary = '';
  for (const byte of await hmacSha256Bytes(secret, data)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Compares two strings in time that does not depend on where they differ: every UTF-16 code unit of the
 * longer one is visited (read in place; encoding both first cost more than the comparison).
 */
export function timingSafeEqual(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  // Past the end of a string, charCodeAt gives NaN, which `| 0` turns into 0.
  for (let i = 0; i < length; i++) difference |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return difference === 0;
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += HEX[byte];
  return hex;
}

function toBytes(value: string | Uint8Array): Uint8Array<ArrayBuffer> {
  if (typeof value === 'string') return encoder.encode(value);
  const bytes = new Uint8Array(new ArrayBuffer(value.byteLength));
  bytes.set(value);
  return bytes;
}
