import { hmacSha256Hex, type IncomingWebhook, timingSafeEqual, WebhookError } from '@software-factory/sdk';

/**
 * GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, shared by every source that
 * takes GitHub deliveries (pull requests, issues) so the check is written once.
 */
export async function verifyGithubSignature(secret: string, request: IncomingWebhook): Promise<void> {
  const header = request.headers.get('x-hub-signature-256')?.trim();
  if (!header) throw new WebhookError(401, 'missing X-Hub-Signature-256 header');
  if (!header.startsWith('sha256='))
    throw new WebhookError(401, 'X-Hub-Signature-256 must start with sha256=');
  const expected = `sha256=${await hmacSha256Hex(secret, request.rawBody)}`;
  if (!timingSafeEqual(header.toLowerCase(), expected))
    throw new WebhookError(401, 'X-Hub-Signature-256 does not match the body');
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
