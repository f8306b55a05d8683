import {
  type FactoryEvent,
  hmacSha256Hex,
  type IncomingWebhook,
  parseJsonBody,
  timingSafeEqual,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
  type WorkItem,
} from '@software-factory/sdk';

const TOLERANCE_MS = 5 * 60 * 1000;
const encoder = new TextEncoder();

/**
 * A small signed sender for handler tests: HMAC-SHA256 over `<timestamp>.<raw body bytes>`, as the
 * real trackers sign. Its body is `{ deliveryId, item }`, one work item change.
 */
export class SignedTestSource implements WebhookSource {
  readonly source = 'test';
  readonly contentTypes = ['application/json'] as const;
  readonly #secret: string;

  constructor(secret: string) {
    this.#secret = secret;
  }

  async verify(request: IncomingWebhook): Promise<void> {
    const signature = request.headers.get('x-test-signature');
    const timestamp = Number(request.headers.get('x-test-timestamp'));
    if (!signature || !Number.isFinite(timestamp)) throw new WebhookError(401, 'missing signature headers');
    if (Math.abs(request.receivedAt - timestamp) > TOLERANCE_MS)
      throw new WebhookError(401, 'stale timestamp');
    const expected = await hmacSha256Hex(this.#secret, signedBytes(timestamp, request.rawBody));
    if (!timingSafeEqual(signature, expected)) throw new WebhookError(401, 'signature does not match');
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const body = parseJsonBody(request.body) as {
      deliveryId?: string;
      item?: WorkItem;
      events?: FactoryEvent[];
    };
    // `events` lets a test deliver any event (an output ready, a reply), as a provider would interpret it.
    if (body.events)
      return { ...(body.deliveryId ? { deliveryId: body.deliveryId } : {}), events: body.events };
    if (!body.item) throw new WebhookError(400, 'no item in the body');
    return {
      ...(body.deliveryId ? { deliveryId: body.deliveryId } : {}),
      events: [{ type: 'work-item.changed', item: body.item }],
    };
  }
}

function signedBytes(timestamp: number, body: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${timestamp}.`);
  const bytes = new Uint8Array(prefix.byteLength + body.byteLength);
  bytes.set(prefix);
  bytes.set(body, prefix.byteLength);
  return bytes;
}

/** The headers a sender holding `secret` puts on `body` at `timestamp`. */
export async function signTestWebhook(
  secret: string,
  body: Uint8Array | string,
  timestamp: number,
): Promise<Record<string, string>> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return {
    'Content-Type': 'application/json',
    'X-Test-Timestamp': String(timestamp),
    'X-Test-Signature': await hmacSha256Hex(secret, signedBytes(timestamp, bytes)),
  };
}
