import {
  type DeliveryIdentity,
  type IncomingWebhook,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
} from '@software-factory/sdk';
import { signedBodyDigest, verifyGithubSignature, type WebhookSecretSource } from './signature.ts';

// What every GitHub webhook source reads of a delivery before its own events (pull requests, issues).

/**
 * By the body: GitHub signs no timestamp, so a captured delivery could come back any time under a new
 * X-GitHub-Delivery (the header is not signed); a redelivery resends the same bytes. The body is named
 * by the signature `verify` checked, an HMAC of exactly those bytes, so it is not hashed again.
 */
export function githubDeliveryIdentity(request: IncomingWebhook): DeliveryIdentity {
  const deliveryId = request.headers.get('x-github-delivery') ?? undefined;
  const bodyDigest = signedBodyDigest(request);
  return {
    ...(deliveryId ? { deliveryId } : {}),
    recognisedBy: 'body',
    ...(bodyDigest ? { bodyDigest } : {}),
  };
}

/** The delivery's event (`X-GitHub-Event`, required) and its id, as the interpretation's base. */
export function githubEventOf(request: IncomingWebhook): { event: string; base: { deliveryId?: string } } {
  const event = request.headers.get('x-github-event');
  if (!event) throw new WebhookError(400, 'missing X-GitHub-Event header');
  const deliveryId = request.headers.get('x-github-delivery') ?? undefined;
  return { event, base: deliveryId ? { deliveryId } : {} };
}

/** The answer to GitHub's `ping` (sent when a hook is created): no events, a pong its settings page shows. */
export function githubPong(base: { deliveryId?: string }): WebhookInterpretation {
  return {
    ...base,
    events: [],
    reply: { status: 200, contentType: 'application/json', body: '{"status":"pong"}' },
  };
}

/**
 * A GitHub webhook source (pull requests, issues): JSON deliveries signed with the hook's secret
 * (`X-Hub-Signature-256`) and recognised by their signed body; each source interprets its own events.
 */
export abstract class GithubSignedWebhookSource implements WebhookSource {
  abstract readonly source: string;
  readonly contentTypes = ['application/json'] as const;
  readonly #secret: WebhookSecretSource;

  /** `config` names the source in the error a missing secret gives, e.g. "GitHub webhook". */
  constructor(secret: WebhookSecretSource | undefined, config: string) {
    if (!secret) throw new Error(`invalid ${config} config: secret: a webhook secret is required`);
    this.#secret = secret;
  }

  verify(request: IncomingWebhook): Promise<void> {
    return verifyGithubSignature(this.#secret, request);
  }

  identify(request: IncomingWebhook): DeliveryIdentity {
    return githubDeliveryIdentity(request);
  }

  abstract interpret(request: IncomingWebhook): Promise<WebhookInterpretation>;
}
