import { type IncomingWebhook, incomingWebhook } from '@software-factory/sdk';

/** A webhook as the app hands it to a source: raw bytes, decoded text, headers, our clock. */
export function incoming(
  body: string | Uint8Array,
  headers: Record<string, string>,
  receivedAt: number,
): IncomingWebhook {
  const rawBody = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  return incomingWebhook({
    headers: new Headers(headers),
    rawBody,
    body: new TextDecoder().decode(rawBody),
    receivedAt,
  });
}

/** The same bytes with one byte changed. */
export function flipOneByte(body: string, at = Math.floor(body.length / 2)): string {
  const code = body.charCodeAt(at);
  return `${body.slice(0, at)}${String.fromCharCode(code === 0x41 ? 0x42 : 0x41)}${body.slice(at + 1)}`;
}
