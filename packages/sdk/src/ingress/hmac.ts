const encoder = new TextEncoder();

/** Hex HMAC-SHA256 with the Web Crypto API, so it runs on Node, Lambda and Workers alike. */
export async function hmacSha256Hex(secret: string | Uint8Array, data: string | Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    toBytes(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, toBytes(data)));
  return Array.from(signature, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Hex SHA-256 of bytes or text, with the Web Crypto API. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', toBytes(data)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Base64 HMAC-SHA256, for senders that sign that way. */
export async function hmacSha256Base64(
  secret: string | Uint8Array,
  data: string | Uint8Array,
): Promise<string> {
  const hex = await hmacSha256Hex(secret, data);
  const bytes = new Uint8Array(hex.match(/../g)?.map((pair) => Number.parseInt(pair, 16)) ?? []);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Compares two strings in time that does not depend on where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  let difference = left.length ^ right.length;
  for (let i = 0; i < Math.max(left.length, right.length); i++)
    difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return difference === 0;
}

function toBytes(value: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(new ArrayBuffer(typeof value === 'string' ? 0 : value.byteLength));
  if (typeof value === 'string') return new Uint8Array(encoder.encode(value));
  bytes.set(value);
  return bytes;
}
