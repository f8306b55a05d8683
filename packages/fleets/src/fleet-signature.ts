import { hmacSha256Hex, timingSafeEqual } from '@software-factory/sdk';

export const SIGNATURE_HEADER = 'x-factory-signature';
export const TIMESTAMP_HEADER = 'x-factory-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** How far a signed request's timestamp may be from the receiver's clock, either way. */
export const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

/**
 * What the signature covers: the raw body when there is one; for a request without a body, the method
 * and path, so a captured status or release request cannot be replayed against another agent.
 */
export function signedContent(method: string, path: string, rawBody: string): string {
  return rawBody.length > 0 ? rawBody : `${method.toUpperCase()} ${path}`;
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<content>">`, with the timestamp in Unix seconds. */
export async function signFleetPayload(secret: string, timestamp: number, content: string): Promise<string> {
  return `sha256=${await hmacSha256Hex(secret, `${timestamp}.${content}`)}`;
}

/** The headers a signed fleet request carries. */
export async function fleetSignatureHeaders(
  secret: string,
  nowMs: number,
  content: string,
): Promise<Record<string, string>> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: await signFleetPayload(secret, timestamp, content),
  };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Checks the timestamp window first (cheap, and a stale request is refused whatever its signature). */
export async function verifyFleetSignature(
  secret: string,
  headers: Headers,
  content: string,
  nowMs: number,
  windowMs = SIGNATURE_WINDOW_MS,
): Promise<SignatureCheck> {
  const timestampText = headers.get(TIMESTAMP_HEADER);
  const signature = headers.get(SIGNATURE_HEADER);
  if (!timestampText || !signature) return { ok: false, reason: 'missing signature or timestamp header' };
  if (!/^\d{1,12}$/.test(timestampText)) return { ok: false, reason: 'timestamp is not Unix seconds' };
  const timestamp = Number(timestampText);
  if (Math.abs(nowMs - timestamp * 1000) > windowMs)
    return { ok: false, reason: 'timestamp outside the 5-minute window' };
  const expected = await signFleetPayload(secret, timestamp, content);
  if (!timingSafeEqual(expected, signature.trim())) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
