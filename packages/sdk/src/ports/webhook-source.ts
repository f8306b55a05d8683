import { errorMessage } from '../error-message.ts';
import type { FactoryEvent } from '../events.ts';
import type { WorkItem } from '../work-item.ts';

/** A webhook as received: headers and the raw body, read once and kept byte-exact for signatures. */
export interface IncomingWebhook {
  headers: Headers;
  rawBody: Uint8Array;
  /** The body as UTF-8 text (decoded once by the app). */
  body: string;
  /** Epoch milliseconds, from the factory's clock. */
  receivedAt: number;
  /**
   * The body parsed as JSON, parsed on the first call only: `verify`, `identify` and `interpret` share
   * one parse. Throws WebhookError(400) naming the problem when the body is not JSON (every call).
   */
  json(): unknown;
}

/** The parts of a webhook a runtime read; `incomingWebhook` adds the shared parse. */
export type IncomingWebhookParts = Omit<IncomingWebhook, 'json'>;

/** A webhook whose `json()` parses its body once, whoever asks first (the app builds every one this way). */
export function incomingWebhook(parts: IncomingWebhookParts): IncomingWebhook {
  let parsed: { value: unknown } | { error: WebhookError } | undefined;
  return {
    ...parts,
    json() {
      if (!parsed) {
        try {
          parsed = { value: parseJsonBody(parts.body) };
        } catch (error) {
          parsed = { error: error as WebhookError };
        }
      }
      if ('error' in parsed) throw parsed.error;
      return parsed.value;
    },
  };
}

/**
 * How the app recognises a re-sent delivery, named by the source after `verify` and before `interpret`.
 * The app checks the store with it before interpreting (schema checks, API calls), and remembers it when
 * the delivery's events are handled: one write per delivery where one key is enough.
 */
export interface DeliveryIdentity {
  /** The sender's id of this delivery, the same on each of its retries; absent when it sends none. */
  deliveryId?: string;
  /**
   * What recognises a re-sent delivery (`id` and `id-and-body` fall back to `body` without an id):
   * - `id`: the id alone. Either the signature covers it (it is in the signed body), or the sender signs a
   *   timestamp that bounds a replay to a few minutes, and a replay under a forged id then only repeats an
   *   event the core applies idempotently; the sender's retries keep the id but may change the body.
   * - `body`: the body's bytes alone. The sender signs no timestamp, so a captured delivery could come back
   *   any time under a new id (its id header is not signed), but never with other bytes; and its retries
   *   resend the same bytes.
   * - `id-and-body`: either, two keys. The id is not signed and no timestamp bounds a replay, and the
   *   sender's retries may change the body, or it is not known that they do not.
   */
  recognisedBy: 'id' | 'body' | 'id-and-body';
  /**
   * The body's bytes as a digest the source has already checked, when it is as good as a hash of them:
   * the hex HMAC-SHA256 the sender signed exactly these bytes with, and `verify` recomputed. The app then
   * names the body by it (`<source>:hmac:<hex>`) instead of hashing a large body a second time. Only a
   * signature over the body alone qualifies (one over a timestamp too changes on every retry). A body
   * re-signed after the secret changed is named anew, so within the memory a redelivery then is handled
   * again, which the core's idempotent handling absorbs.
   */
  bodyDigest?: string;
}

/** What recognises a delivery named `identity` again: its id, its body, or both; one without an id, its body. */
export function recognition(identity: DeliveryIdentity): { id?: string; body: boolean } {
  const id = identity.recognisedBy !== 'body' ? identity.deliveryId : undefined;
  return { ...(id ? { id } : {}), body: !id || identity.recognisedBy === 'id-and-body' };
}

/** What a source made of a verified webhook. */
export interface WebhookInterpretation {
  /** The sender's delivery id (stable across its retries), for de-duplication. */
  deliveryId?: string;
  events: FactoryEvent[];
  /** Set when the payload is valid but not something the factory acts on; answered 202 with this reason. */
  ignored?: string;
  /** A response the protocol itself requires (e.g. a URL verification challenge), sent instead of the default. */
  reply?: { status: number; contentType: string; body: string };
}

/** The HTTP status a rejected webhook gets: 400 malformed, 401 unauthenticated, 413 too large, 415 wrong type. */
export type WebhookRejectionStatus = 400 | 401 | 413 | 415 | 422;

/** Thrown by a source to reject a request with a clear 4xx; nothing is changed. */
export class WebhookError extends Error {
  readonly status: WebhookRejectionStatus;

  constructor(status: WebhookRejectionStatus, message: string) {
    super(message);
    this.name = 'WebhookError';
    this.status = status;
  }
}

/**
 * One sender of webhooks (a tracker, a chat, a code host, a file relay, a fleet). It owns its raw
 * payloads: it verifies them and turns them into normalized events; nothing else parses them.
 */
export interface WebhookSource {
  /** The `:source` segment of `/t/:tenant/webhooks/:source`. */
  readonly source: string;
  /** Media types accepted (without parameters), e.g. `application/json`. */
  readonly contentTypes: readonly string[];
  /** Checks the signature and the timestamp window; throws WebhookError(401) when they fail. */
  verify(request: IncomingWebhook): Promise<void>;
  /**
   * Names a verified delivery for de-duplication from what is cheap to read (headers, `json()`), before
   * `interpret`; throws WebhookError(400) when the body is not JSON. Without it, the app recognises a
   * re-sent delivery by its body's bytes before interpreting and by `deliveryId` only after.
   */
  identify?(request: IncomingWebhook): DeliveryIdentity;
  /** Parses the verified payload; throws WebhookError(400) when it is malformed. */
  interpret(request: IncomingWebhook): Promise<WebhookInterpretation>;
  /** When set and the runtime can finish work after answering, the app answers within this many ms. */
  readonly answerWithinMs?: number;
  /**
   * Tells the sender at once that a delivery was received, before the core handles its events: for a
   * sender that shows a request as unanswered unless something comes back within seconds (a tracker's
   * agent session wants a first sign of life), whatever the handling costs and wherever it runs (a
   * runtime without `waitUntil` answers only after handling). The app calls it once per delivery, after
   * `verify`, once the delivery is known not to be a duplicate and is about to be handled; it waits at
   * most `RECEIPT_TIMEOUT_MS`, and a failure is logged and never stops the handling. It must be
   * idempotent: a delivery handled again after a failure acknowledges again.
   */
  acknowledge?(interpretation: WebhookInterpretation, receipt: DeliveryReceipt): Promise<void>;
}

/** What the app knows that an acknowledgement may use, beyond the delivery itself. */
export interface DeliveryReceipt {
  /** The tenant the delivery is for. */
  tenant: string;
  /** Where a person sees the item on the tenant's dashboard; undefined when the app has no public URL. */
  dashboardUrl(workItemId: string): string | undefined;
  /**
   * Why the factory will not take the item (outside the tenant's opt-in scope, or not ready for
   * dispatch), in words for the person who asked; undefined when it will.
   */
  refusal(item: WorkItem): string | undefined;
}

/** The longest the app waits for `WebhookSource.acknowledge` before handling the delivery anyway. */
export const RECEIPT_TIMEOUT_MS = 5_000;

/** Parses JSON for a source, turning a syntax error into a 400 that names the problem. */
export function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new WebhookError(400, `malformed JSON: ${errorMessage(error)}`);
  }
}
