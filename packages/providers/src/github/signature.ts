import { hmacSha256Hex, type IncomingWebhook, timingSafeEqual, WebhookError } from '@software-factory/sdk';

/** A webhook secret: written in the config, or read when a delivery arrives (the App a sign-in stored). */
export type WebhookSecretSource = string | (() => Promise<string | undefined>);

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

/**
 * GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, checked with the core's
 * HMAC (node:crypto on Node, WebCrypto with the key imported once elsewhere) in constant time; shared
 * by every source that takes GitHub deliveries (pull requests, issues) so the check is written once.
 */
export async function verifyGithubSignature(
  secret: WebhookSecretSource,
  request: IncomingWebhook,
): Promise<void> {
  const header = request.headers.get('x-hub-signature-256')?.trim().toLowerCase();
  if (!header) throw new WebhookError(401, 'missing X-Hub-Signature-256 header');
  if (!header.startsWith('sha256='))
    throw new WebhookError(401, 'X-Hub-Signature-256 must start with sha256=');
  const key = typeof secret === 'string' ? secret : await secret();
  if (!key) throw new WebhookError(401, 'no webhook secret is configured or stored for GitHub deliveries');
  // A malformed value or an empty body cannot match. The bytes signed are hashed as they came (the text
  // decoded from them would be encoded to the same bytes again first).
  const matches =
    SIGNATURE.test(header) &&
    request.rawBody.byteLength > 0 &&
    timingSafeEqual(await hmacSha256Hex(key, request.rawBody), header.slice('sha256='.length));
  if (!matches) throw new WebhookError(401, 'X-Hub-Signature-256 does not match the body');
}

/**
 * The hex HMAC-SHA256 of the body from `X-Hub-Signature-256`, once `verifyGithubSignature` has checked
 * it: as good a name for these bytes as a hash of them. Undefined when the header has no such value.
 */
export function signedBodyDigest(request: IncomingWebhook): string | undefined {
  const header = request.headers.get('x-hub-signature-256')?.trim().toLowerCase();
  const digest = header?.startsWith('sha256=') ? header.slice('sha256='.length) : undefined;
  return digest && /^[0-9a-f]{64}$/.test(digest) ? digest : undefined;
}
