import type {
  AgentExitedEvent,
  DeliveryIdentity,
  IncomingWebhook,
  WebhookInterpretation,
  WebhookSource,
} from '@software-factory/sdk';
import { WebhookError } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { SIGNATURE_WINDOW_MS, signedContent, verifyFleetSignature } from './fleet-signature.ts';

/** A lifecycle callback from the team's fleet, as documented in the README. */
export const fleetCallbackSchema = z.strictObject({
  agentId: z.string().check(z.minLength(1)),
  workItemId: z.optional(z.string().check(z.minLength(1))),
  status: z.enum(['exited', 'failed', 'lost']),
  exitCode: z.optional(z.int()),
  reason: z.optional(z.string().check(z.maxLength(2000))),
  eventId: z.string().check(z.minLength(1), z.maxLength(200)),
});

export type FleetCallback = z.infer<typeof fleetCallbackSchema>;

export interface FleetWebhookSourceOptions {
  /** The same secret the HttpFleet signs with. */
  secret: string;
  windowMs?: number;
}

/** `POST /t/:tenant/webhooks/fleet`: signed lifecycle callbacks from an HTTP fleet, as `agent.exited`. */
export class FleetWebhookSource implements WebhookSource {
  readonly source = 'fleet';
  readonly contentTypes = ['application/json'] as const;
  readonly #secret: string;
  readonly #windowMs: number;

  constructor(options: FleetWebhookSourceOptions) {
    if (!options.secret) throw new Error('FleetWebhookSource: a signing secret is required');
    this.#secret = options.secret;
    this.#windowMs = options.windowMs ?? SIGNATURE_WINDOW_MS;
  }

  async verify(request: IncomingWebhook): Promise<void> {
    const content = signedContent('POST', '', request.body);
    const check = await verifyFleetSignature(
      this.#secret,
      request.headers,
      content,
      request.receivedAt,
      this.#windowMs,
    );
    if (!check.ok) throw new WebhookError(401, `fleet callback rejected: ${check.reason}`);
  }

  /** By the id: `eventId` is in the signed body, the same on every retry of the callback. */
  identify(request: IncomingWebhook): DeliveryIdentity {
    const body = request.json() as { eventId?: unknown } | null;
    const deliveryId = typeof body?.eventId === 'string' && body.eventId !== '' ? body.eventId : undefined;
    return { ...(deliveryId ? { deliveryId } : {}), recognisedBy: 'id' };
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const parsed = fleetCallbackSchema.safeParse(request.json());
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`,
      );
      throw new WebhookError(400, `malformed fleet callback: ${problems.join('; ')}`);
    }
    return { deliveryId: parsed.data.eventId, events: [callbackToEvent(parsed.data)] };
  }
}

export function callbackToEvent(callback: FleetCallback): AgentExitedEvent {
  const outcome =
    callback.status === 'lost'
      ? 'lost'
      : callback.status === 'exited' && (callback.exitCode ?? 0) === 0
        ? 'succeeded'
        : 'failed';
  return {
    type: 'agent.exited',
    agentId: callback.agentId,
    outcome,
    ...(callback.exitCode !== undefined ? { exitCode: callback.exitCode } : {}),
    ...(callback.reason ? { reason: callback.reason } : {}),
    ...(callback.workItemId ? { workItemId: callback.workItemId } : {}),
  };
}
