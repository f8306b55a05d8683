import { randomUUID } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';
import type { SignedRequest } from './vendor-payloads.ts';

/**
 * Probot's webhook path, the peer: `@octokit/webhooks` verifies the signature and dispatches the event
 * to its handlers (one, empty). What it costs to receive a `pull_request` without doing anything.
 */
export function probotReceiver(secret: string): (request: SignedRequest) => Promise<void> {
  const webhooks = new Webhooks({ secret });
  let received = 0;
  webhooks.on('pull_request', () => {
    received += 1;
  });
  return async (request) => {
    const before = received;
    await webhooks.verifyAndReceive({
      id: request.headers['x-github-delivery'] ?? randomUUID(),
      name: 'pull_request',
      payload: request.body,
      signature: request.headers['x-hub-signature-256'] ?? '',
    });
    if (received !== before + 1) throw new Error('@octokit/webhooks did not dispatch the event');
  };
}
