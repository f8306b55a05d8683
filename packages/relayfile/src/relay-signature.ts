import { hmacSha256Hex, timingSafeEqual } from '@software-factory/sdk';

/** The headers a relayfile webhook delivery carries. */
export const RELAY_HEADERS = {
  signature: 'x-relay-signature',
  timestamp: 'x-relay-timestamp',
  eventId: 'x-relay-event-id',
} as const;

/** relayfile's signature: hex HMAC-SHA256 of `${timestamp}.${raw body}` with the subscription's secret. */
export async function signRelayDelivery(secret: string, timestamp: string, rawBody: Uint8Array | string) {
  const body = typeof rawBody === 'string' ? new TextEncoder().encode(rawBody) : rawBody;
  const prefix = new TextEncoder().encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.byteLength + body.byteLength);
  signed.set(prefix, 0);
  signed.set(body, prefix.byteLength);
  return hmacSha256Hex(secret, signed);
}

/** Compares a received signature (optionally `sha256=`-prefixed) with the expected one in constant time. */
export async function relaySignatureMatches(
  secret: string,
  timestamp: string,
  rawBody: Uint8Array,
  received: string,
): Promise<boolean> {
  const expected = await signRelayDelivery(secret, timestamp, rawBody);
  return timingSafeEqual(
    received
      .trim()
      .toLowerCase()
      .replace(/^sha256=/, ''),
    expected,
  );
}

/**
 * A relay timestamp in epoch milliseconds: relayfile sends Unix seconds; ISO-8601 is accepted too (its
 * self-hosted forwarder sends RFC 3339). Undefined when it is neither.
 */
export function parseRelayTimestamp(value: string): number | undefined {
  const trimmed = value.trim();
  if (/^\d{1,12}$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(trimmed)) return undefined;
  const parsed = Date.parse(trimmed);
  return Number.isNaN(parsed) ? undefined : parsed;
}
