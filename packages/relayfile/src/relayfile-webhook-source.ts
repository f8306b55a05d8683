import {
  type IncomingWebhook,
  type Mount,
  parseJsonBody,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
} from '@software-factory/sdk';
import { z } from 'zod';
import { interpretMountChange, type MountEventSource } from './mount-event-source.ts';
import { parseRelayTimestamp, RELAY_HEADERS, relaySignatureMatches } from './relay-signature.ts';

export const RELAYFILE_SOURCE = 'relayfile';
const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

/** A relayfile change event as a webhook delivers it (the relay worker sends the same shape). */
export const relayfileDeliverySchema = z.object({
  eventId: z.string().min(1),
  type: z.string().min(1),
  path: z.string().startsWith('/'),
  revision: z.string().optional(),
  contentHash: z.string().optional(),
  origin: z.string().optional(),
  provider: z.string().optional(),
  correlationId: z.string().optional(),
  timestamp: z.string().optional(),
  snapshot: z
    .object({
      path: z.string().optional(),
      contentType: z.string().optional(),
      encoding: z.enum(['utf-8', 'base64']).optional(),
      content: z.string().optional(),
      truncated: z.boolean().optional(),
    })
    .optional(),
});

export type RelayfileDelivery = z.infer<typeof relayfileDeliverySchema>;

export interface RelayfileWebhookSourceOptions {
  /** The secret the subscription was registered with (or the relay worker signs with). Never logged. */
  secret: string;
  /** Where a file is read when the delivery carries no (or a truncated) snapshot. */
  mount: Mount;
  /** The providers that own mount paths; the first that owns a path gets it. */
  sources: readonly MountEventSource[];
  /** How far the signed timestamp may be from the factory's clock; relayfile allows 5 minutes. */
  clockSkewMs?: number;
}

/**
 * `POST /t/:tenant/webhooks/relayfile`: relayfile's signed change events (from a webhook subscription
 * or the relay worker), routed to the provider that owns the changed path.
 */
export class RelayfileWebhookSource implements WebhookSource {
  readonly source = RELAYFILE_SOURCE;
  readonly contentTypes = ['application/json'] as const;
  /** relayfile gives up on a delivery after 5 s and retries it; answer before that where the runtime can. */
  readonly answerWithinMs = 4_000;
  readonly #secret: string;
  readonly #mount: Mount;
  readonly #sources: readonly MountEventSource[];
  readonly #clockSkewMs: number;

  constructor(options: RelayfileWebhookSourceOptions) {
    if (!options.secret) throw new Error('RelayfileWebhookSource: a signing secret is required');
    this.#secret = options.secret;
    this.#mount = options.mount;
    this.#sources = options.sources;
    this.#clockSkewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  }

  async verify(request: IncomingWebhook): Promise<void> {
    const signature = request.headers.get(RELAY_HEADERS.signature);
    const timestamp = request.headers.get(RELAY_HEADERS.timestamp);
    if (!signature || !timestamp)
      throw new WebhookError(401, 'missing X-Relay-Signature or X-Relay-Timestamp');
    const sentAt = parseRelayTimestamp(timestamp);
    if (sentAt === undefined) throw new WebhookError(401, 'X-Relay-Timestamp is not a time');
    if (Math.abs(request.receivedAt - sentAt) > this.#clockSkewMs)
      throw new WebhookError(401, 'X-Relay-Timestamp is outside the allowed clock skew');
    if (!(await relaySignatureMatches(this.#secret, timestamp, request.rawBody, signature)))
      throw new WebhookError(401, 'X-Relay-Signature does not match');
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const parsed = relayfileDeliverySchema.safeParse(parseJsonBody(request.body));
    if (!parsed.success)
      throw new WebhookError(
        400,
        `not a relayfile change event: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')}`,
      );
    const delivery = parsed.data;
    const headerId = request.headers.get(RELAY_HEADERS.eventId);
    if (headerId && headerId !== delivery.eventId)
      throw new WebhookError(400, 'X-Relay-Event-Id does not match the event id in the body');
    const deliveryId = delivery.eventId;
    if (
      delivery.type !== 'file.created' &&
      delivery.type !== 'file.updated' &&
      delivery.type !== 'file.deleted'
    )
      return { deliveryId, events: [], ignored: `${delivery.type} is not a file change` };
    const interpretation = await interpretMountChange(
      { type: delivery.type, path: delivery.path, ...snapshotContent(delivery) },
      this.#sources,
      this.#mount,
    );
    return { deliveryId, ...interpretation };
  }
}

/** The snapshot's content when it is complete; otherwise nothing, so the file is read through the mount. */
function snapshotContent(delivery: RelayfileDelivery): { content?: string } {
  const snapshot = delivery.snapshot;
  if (!snapshot || snapshot.truncated || snapshot.content === undefined) return {};
  if (snapshot.path !== undefined && snapshot.path !== delivery.path) return {};
  if (snapshot.encoding !== 'base64') return { content: snapshot.content };
  try {
    const bytes = Uint8Array.from(atob(snapshot.content), (char) => char.charCodeAt(0));
    return { content: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    throw new WebhookError(400, 'snapshot.content is not valid base64 UTF-8');
  }
}
