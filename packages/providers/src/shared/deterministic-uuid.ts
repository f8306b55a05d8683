const encoder = new TextEncoder();

/**
 * A UUID derived from a key, the same on every call: a client-chosen id that makes a retried create
 * one object. Name-based like v5, but hashed with SHA-256 (Web Crypto has no SHA-1 in every runtime we
 * target) and stamped as version 4, because Linear documents its client ids as "UUID v4 format" and a
 * strict validator would refuse the version nibble 5.
 */
export async function uuidFromKey(namespace: string, key: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', encoder.encode(`${namespace}\u0000${key}`)),
  );
  const bytes = digest.slice(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A short stable digest of a key, for metadata fields where the key itself should not be shown. */
export async function keyDigest(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(key)));
  return Array.from(digest.slice(0, 16), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
