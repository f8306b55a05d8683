import type { FactoryEvent } from '../events.ts';

/** A webhook as received: headers and the raw body, read once and kept byte-exact for signatures. */
export interface IncomingWebhook {
  headers: Headers;
  rawBody: Uint8Array;
  /** The body as UTF-8 text (decoded once by the app). */
  body: string;
  /** Epoch milliseconds, from the factory's clock. */
  receivedAt: number;
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
  /** Parses the verified payload; throws WebhookError(400) when it is malformed. */
  interpret(request: IncomingWebhook): Promise<WebhookInterpretation>;
  /** When set and the runtime can finish work after answering, the app answers within this many ms. */
  readonly answerWithinMs?: number;
}

/** Parses JSON for a source, turning a syntax error into a 400 that names the problem. */
export function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new WebhookError(400, `malformed JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
