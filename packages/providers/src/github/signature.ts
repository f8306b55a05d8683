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
