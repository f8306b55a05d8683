import {
  type DeliveryIdentity,
  type IncomingWebhook,
  type Mount,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { interpretMountChange, type MountEventSource } from './mount-event-source.ts';
import { parseRelayTimestamp, RELAY_HEADERS, relaySignatureMatches } from './relay-signature.ts';

export const RELAYFILE_SOURCE = 'relayfile';
const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

/** A field the factory does not act on: a value of another type is dropped rather than refused. */
const note = z.catch(z.optional(z.string()), undefined);

/**
 * A relayfile change event as a webhook delivers it (the relay worker sends the same shape, without a
 * snapshot): the SDK's `FilesystemEvent` (`eventId`, `type`, `path`, `revision`, `contentHash`, `origin`,
 * `provider`, `correlationId`, `timestamp`) plus, from relayfile's cloud, `snapshot` (the file's content,
 * possibly `truncated`) and `providerEventType`/`resourceRef`. Unknown fields are ignored.
 */
export const relayfileDeliverySchema = z.object({
  // relayfile's cloud also sends the id as X-Relay-Event-Id; either one names the delivery.
  eventId: z.optional(z.string().check(z.minLength(1))),
  type: z.string().check(z.minLength(1)),
  // Every file change has one; another kind of event may not.
  path: z.optional(z.string().check(z.startsWith('/'))),
  revision: note,
  contentHash: note,
  origin: note,
  provider: note,
  correlationId: note,
  timestamp: note,
  providerEventType: note,
  resourceRef: note,
  // Only a shortcut: a snapshot that is missing, truncated or malformed is read through the mount.
  snapshot: z.catch(
    z.optional(
      z.object({
        path: z.optional(z.string()),
        contentType: z.optional(z.string()),
        encoding: z.optional(z.string()),
        content: z.optional(z.string()),
        truncated: z.optional(z.boolean()),
      }),
    ),
    undefined,
  ),
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

  /**
   * By the id: the body's `eventId` is signed; X-Relay-Event-Id is not, but the signed X-Relay-Timestamp
   * bounds a replay under a forged id to the clock skew, and a file change is applied idempotently. A
   * header that disagrees with the body is refused by `interpret`.
   */
  identify(request: IncomingWebhook): DeliveryIdentity {
    const body = request.json() as { eventId?: unknown } | null;
    const deliveryId =
      request.headers.get(RELAY_HEADERS.eventId)?.trim() ||
      (typeof body?.eventId === 'string' && body.eventId !== '' ? body.eventId : undefined);
    return { ...(deliveryId ? { deliveryId } : {}), recognisedBy: 'id' };
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const parsed = relayfileDeliverySchema.safeParse(request.json());
    if (!parsed.success)
      throw new WebhookError(
        400,
        `not a relayfile change event: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')}`,
      );
    const delivery = parsed.data;
    const headerId = request.headers.get(RELAY_HEADERS.eventId)?.trim() || undefined;
    if (headerId && delivery.eventId && headerId !== delivery.eventId)
      throw new WebhookError(400, 'X-Relay-Event-Id does not match the event id in the body');
    const deliveryId = headerId ?? delivery.eventId;
    // The id is what makes a re-delivery a duplicate; without one the event cannot be taken safely.
    if (!deliveryId) throw new WebhookError(400, 'no event id: neither X-Relay-Event-Id nor eventId is set');
    if (
      delivery.type !== 'file.created' &&
      delivery.type !== 'file.updated' &&
      delivery.type !== 'file.deleted'
    )
      return { deliveryId, events: [], ignored: `${delivery.type} is not a file change` };
    if (!delivery.path) throw new WebhookError(400, `a ${delivery.type} event without a path`);
    const interpretation = await interpretMountChange(
      { type: delivery.type, path: delivery.path, ...snapshotContent(delivery) },
      this.#sources,
      this.#mount,
    );
    return { deliveryId, ...interpretation };
  }
}

/**
 * The snapshot's content when it is complete and readable; otherwise nothing, so the file is read through
 * the mount (relayfile truncates large files, and the relay worker sends no snapshot at all).
 */
function snapshotContent(delivery: RelayfileDelivery): { content?: string } {
  const snapshot = delivery.snapshot;
  if (!snapshot || snapshot.truncated === true || snapshot.content === undefined) return {};
  if (snapshot.path !== undefined && snapshot.path !== delivery.path) return {};
  const encoding = snapshot.encoding?.toLowerCase();
  if (encoding === undefined || encoding === 'utf-8' || encoding === 'utf8')
    return { content: snapshot.content };
  if (encoding !== 'base64') return {};
  try {
    const bytes = Uint8Array.from(atob(snapshot.content), (char) => char.charCodeAt(0));
    return { content: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return {};
  }
}
