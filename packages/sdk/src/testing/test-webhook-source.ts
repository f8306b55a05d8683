import type { FactoryEvent } from '../events.ts';
import { hmacSha256Hex, timingSafeEqual } from '../ingress/hmac.ts';
import {
  type IncomingWebhook,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
} from '../ports/webhook-source.ts';

/**
 * A signed webhook source for tests of runtimes: the body is `{ id, events: FactoryEvent[] }` (or
 * `{ id, ignored: "why" }`, or `{ id, reply: "text" }` for a protocol handshake), signed as `x-test-signature: sha256=<hex HMAC of "<timestamp>.<body>">`
 * with `x-test-timestamp` (ms) inside a 5-minute window.
 */
export class TestWebhookSource implements WebhookSource {
  readonly source: string;
  readonly contentTypes = ['application/json'] as const;
  readonly #secret: string;

  constructor(secret: string, source = 'test') {
    this.#secret = secret;
    this.source = source;
  }

  static async sign(secret: string, body: string, timestamp: number): Promise<Record<string, string>> {
    return {
      'content-type': 'application/json',
      'x-test-timestamp': String(timestamp),
      'x-test-signature': `sha256=${await hmacSha256Hex(secret, `${timestamp}.${body}`)}`,
    };
  }

  async verify(request: IncomingWebhook): Promise<void> {
    const timestamp = Number(request.headers.get('x-test-timestamp'));
    const signature = request.headers.get('x-test-signature');
    if (!signature || !Number.isFinite(timestamp))
      throw new WebhookError(401, 'missing signature or timestamp');
    if (Math.abs(request.receivedAt - timestamp) > 300_000)
      throw new WebhookError(401, 'timestamp outside the 5-minute window');
    const expected = `sha256=${await hmacSha256Hex(this.#secret, `${timestamp}.${request.body}`)}`;
    if (!timingSafeEqual(signature, expected)) throw new WebhookError(401, 'signature does not match');
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const payload = request.json() as {
      id?: unknown;
      events?: unknown;
      ignored?: unknown;
      reply?: unknown;
    };
    if (typeof payload !== 'object' || payload === null || typeof payload.id !== 'string') {
      throw new WebhookError(400, 'expected an object with a string "id"');
    }
    if (typeof payload.ignored === 'string')
      return { deliveryId: payload.id, events: [], ignored: payload.ignored };
    if (typeof payload.reply === 'string') {
      return { events: [], reply: { status: 200, contentType: 'text/plain', body: payload.reply } };
    }
    if (!Array.isArray(payload.events)) throw new WebhookError(400, 'expected "events" to be an array');
    return { deliveryId: payload.id, events: payload.events as FactoryEvent[] };
  }
}
