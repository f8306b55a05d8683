import {
  type DeliveryIdentity,
  type DeliveryReceipt,
  hmacSha256Hex,
  type IncomingWebhook,
  timingSafeEqual,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { jsonObject } from '../shared/json-object.ts';
import { isFilledText, isObject, isText, nullish, readQuickly } from '../shared/quick-check.ts';
import type { LinearAgentSessionEvents } from './agent-session-events.ts';
import type { LinearCommentReplies } from './comment-replies.ts';
import { isLinearIssue, linearIssueSchema } from './issue.ts';
import type { LinearWorkItemProvider } from './work-item-provider.ts';

export interface LinearWebhookSourceOptions {
  /** The webhook's signing secret, from Linear's webhook settings. */
  secret: string;
  provider: LinearWorkItemProvider;
  /** How far `webhookTimestamp` may be from our clock; Linear recommends one minute. */
  toleranceMs?: number;
  /** Set when the tenant's clarification channel is `comments`: Comment webhooks become answers. */
  commentReplies?: LinearCommentReplies;
  /**
   * Set in agent mode: `AgentSessionEvent`s are the intake, and an Issue change counts only when it
   * takes the issue out of the app's hands.
   */
  agentSessions?: LinearAgentSessionEvents;
}

/** The fields of every Linear delivery the source reads; exported with its quick reader for their test. */
export const envelopeSchema = z.object({
  type: z.string().check(z.minLength(1)),
  action: z.string().check(z.minLength(1)),
  data: jsonObject,
  url: z.nullish(z.string()),
  createdAt: z.nullish(z.string()),
});

type Envelope = z.infer<typeof envelopeSchema>;

/** `envelopeSchema`'s verdict on a well-formed delivery, without its machinery. */
export function quickEnvelope(body: unknown): Envelope | undefined {
  if (!isObject(body)) return undefined;
  const { type, action, data, url, createdAt } = body;
  return isFilledText(type) &&
    isFilledText(action) &&
    isObject(data) &&
    nullish(url, isText) &&
    nullish(createdAt, isText)
    ? (body as Envelope)
    : undefined;
}

const ISSUE_ACTIONS = new Set(['create', 'update', 'remove']);

/** Linear's data change webhooks: Issue create/update/remove become `work-item.changed`. */
export class LinearWebhookSource implements WebhookSource {
  readonly source = 'linear';
  readonly contentTypes = ['application/json'] as const;
  readonly #secret: string;
  readonly #provider: LinearWorkItemProvider;
  readonly #toleranceMs: number;
  readonly #commentReplies: LinearCommentReplies | undefined;
  readonly #agentSessions: LinearAgentSessionEvents | undefined;
  /** Agent mode only: a new session's first activity, before the core triages the issue. */
  readonly acknowledge?: (interpretation: WebhookInterpretation, receipt: DeliveryReceipt) => Promise<void>;

  constructor(options: LinearWebhookSourceOptions) {
    if (!options.secret)
      throw new Error('invalid Linear webhook config: secret: a signing secret is required');
    this.#secret = options.secret;
    this.#provider = options.provider;
    this.#toleranceMs = options.toleranceMs ?? 60_000;
    this.#commentReplies = options.commentReplies;
    this.#agentSessions = options.agentSessions;
    const sessions = options.agentSessions;
    if (sessions)
      this.acknowledge = (interpretation, receipt) => sessions.acknowledge(interpretation, receipt);
  }

  async verify(request: IncomingWebhook): Promise<void> {
    const signature = request.headers.get('linear-signature')?.trim().toLowerCase();
    if (!signature) throw new WebhookError(401, 'missing Linear-Signature header');
    const expected = await hmacSha256Hex(this.#secret, request.rawBody);
    if (!timingSafeEqual(signature, expected))
      throw new WebhookError(401, 'Linear-Signature does not match the body');
    const body = request.json();
    // A signed body that is no Linear payload at all is malformed (400), whatever its timestamp says.
    if (!isEnvelope(body))
      throw new WebhookError(
        400,
        'not a Linear webhook payload: expected an object with type, action and data (or agentSession)',
      );
    const sentAt = body.webhookTimestamp;
    if (typeof sentAt !== 'number' || !Number.isFinite(sentAt))
      throw new WebhookError(401, 'missing webhookTimestamp; cannot tell a fresh delivery from a replay');
    if (Math.abs(request.receivedAt - sentAt) > this.#toleranceMs)
      throw new WebhookError(
        401,
        `webhookTimestamp is ${Math.round((request.receivedAt - sentAt) / 1000)} s from our clock; allowed ±${this.#toleranceMs / 1000} s`,
      );
  }

  /**
   * By the id (Linear-Delivery): a retry carries a new `webhookTimestamp`, so new bytes, under the same
   * id. The header is not signed, but the timestamp is and must be within `toleranceMs`, so a replay
   * under a forged id can only repeat, within a minute, an item state the core applies idempotently.
   */
  identify(request: IncomingWebhook): DeliveryIdentity {
    const deliveryId = request.headers.get('linear-delivery') ?? undefined;
    return { ...(deliveryId ? { deliveryId } : {}), recognisedBy: 'id' };
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const deliveryId = request.headers.get('linear-delivery') ?? undefined;
    const base = deliveryId ? { deliveryId } : {};
    const body = request.json();
    if (isObject(body) && body.type === AGENT_SESSION_EVENT) {
      if (!this.#agentSessions)
        return { ...base, events: [], ignored: 'agent sessions are heard in agent mode (mode: agent)' };
      return { ...base, ...(await this.#agentSessions.interpret(body)) };
    }
    const envelope = readQuickly(envelopeSchema, quickEnvelope, request.json());
    if (!envelope.success)
      throw new WebhookError(400, `not a Linear webhook payload: ${describe(envelope.error)}`);
    const { type, action, data, url, createdAt } = envelope.data;
    if (type === 'Comment' && this.#commentReplies && !this.#agentSessions)
      return { ...base, ...(await this.#commentReplies.interpret(action, data)) };
    if (type !== 'Issue')
      return { ...base, events: [], ignored: `Linear ${type} webhooks do not change work items` };
    if (!ISSUE_ACTIONS.has(action))
      return { ...base, events: [], ignored: `Linear Issue action "${action}" is not handled` };
    const issue = readQuickly(linearIssueSchema, (value) => (isLinearIssue(value) ? value : undefined), data);
    if (!issue.success)
      throw new WebhookError(400, `Linear Issue payload is incomplete: ${describe(issue.error)}`);

    let item = this.#provider.toWorkItem(issue.data, url ?? undefined);
    if (issue.data.labels === undefined && (issue.data.labelIds?.length ?? 0) > 0) {
      // Older payloads carry label ids only; the ready check needs names, so ask the API.
      item = (await this.#provider.getWorkItem(issue.data.id)) ?? item;
    }
    const removed = action === 'remove' || issue.data.trashed === true;
    if (removed) {
      // A deleted issue must stop its agent: it reads as cancelled, as of the deletion.
      const removedAt = createdAt && createdAt > item.updatedAt ? createdAt : item.updatedAt;
      item = {
        ...item,
        state: 'cancelled',
        updatedAt: removedAt,
        metadata: { ...item.metadata, linearRemoved: true },
      };
    }
    if (this.#agentSessions) {
      const updatedFrom = (body as Record<string, unknown>).updatedFrom;
      const leaving = await this.#agentSessions.leaving(item, data, updatedFrom, removed);
      if (!leaving)
        return {
          ...base,
          events: [],
          ignored:
            'in agent mode work is asked for in agent sessions; this Issue change does not take it away',
        };
      item = leaving;
    }
    return { ...base, events: [{ type: 'work-item.changed', item }] };
  }
}

const AGENT_SESSION_EVENT = 'AgentSessionEvent';

/** The fields every Linear webhook carries, checked without a schema: verify runs on every delivery. */
function isEnvelope(body: unknown): body is { type: string; action: string; webhookTimestamp?: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { type, action, data, agentSession } = body as Record<string, unknown>;
  if (typeof type !== 'string' || typeof action !== 'string') return false;
  // An agent session event carries the session instead of a `data` entity.
  const entity = type === AGENT_SESSION_EVENT ? agentSession : data;
  return typeof entity === 'object' && entity !== null;
}

function describe(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`)
    .join('; ');
}
