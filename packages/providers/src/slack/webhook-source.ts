import {
  type AuthorPolicy,
  authorPolicy,
  type DeliveryIdentity,
  hmacSha256Hex,
  type IncomingWebhook,
  listedAuthor,
  type ReplyAuthor,
  replyAuthor,
  type TrustedAuthorsConfig,
  timingSafeEqual,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import {
  parseTrustedAuthors,
  SLACK_DEFAULT_ROLES,
  type SlackAuthorRole,
  slackTrustedAuthorsSchema,
} from '../shared/answer-trust.ts';
import { jsonObject } from '../shared/json-object.ts';
import {
  everyOf,
  isBoolean,
  isFilledText,
  isObject,
  isText,
  optional,
  readQuickly,
} from '../shared/quick-check.ts';
import type { ChannelMembership } from './channel-members.ts';

export interface SlackWebhookSourceOptions {
  /** The app's signing secret (Basic Information → App Credentials). */
  signingSecret: string;
  /** Only replies in this channel can answer a question the factory asked. */
  channel?: string;
  /** Our bot's user id (`auth.test` → `user_id`); its posts are never answers. */
  botUserId?: string;
  /** Slack's recommended window: five minutes. */
  toleranceMs?: number;
  /**
   * Whose reply counts as an answer: `roles` `channel-member` (a member of the channel the reply is in,
   * the default) and `users` (user ids). Messages from bots never count.
   */
  trustedAuthors?: TrustedAuthorsConfig;
  /** The channel's members (`SlackChannelMembers` over the bot token); needed for `channel-member`. */
  members?: ChannelMembership;
}

/** The Events API envelope's fields the source reads; exported with its quick reader for their test. */
export const envelopeSchema = z.object({
  type: z.string().check(z.minLength(1)),
  challenge: z.optional(z.string()),
  event_id: z.optional(z.string()),
  event: z.optional(jsonObject),
  authorizations: z.optional(
    z.array(z.object({ user_id: z.optional(z.string()), is_bot: z.optional(z.boolean()) })),
  ),
});

/** A message event's fields the source reads; exported with its quick reader for their test. */
export const messageSchema = z.object({
  type: z.literal('message'),
  subtype: z.optional(z.string()),
  channel: z.string().check(z.minLength(1)),
  user: z.optional(z.string()),
  bot_id: z.optional(z.string()),
  text: z._default(z.string(), ''),
  ts: z.string().check(z.minLength(1)),
  thread_ts: z.optional(z.string()),
});

type Envelope = z.infer<typeof envelopeSchema>;
type Message = z.infer<typeof messageSchema>;

/** `envelopeSchema`'s verdict on a well-formed delivery, without its machinery (`quick-check.ts`). */
export function quickEnvelope(body: unknown): Envelope | undefined {
  if (!isObject(body)) return undefined;
  const { type, challenge, event_id, event, authorizations } = body;
  return isFilledText(type) &&
    optional(challenge, isText) &&
    optional(event_id, isText) &&
    optional(event, isObject) &&
    optional(authorizations, (list) =>
      everyOf(
        list,
        (entry) => isObject(entry) && optional(entry.user_id, isText) && optional(entry.is_bot, isBoolean),
      ),
    )
    ? (body as Envelope)
    : undefined;
}

/** `messageSchema`'s verdict on a well-formed message, its default text included. */
export function quickMessage(event: unknown): Message | undefined {
  if (!isObject(event)) return undefined;
  const { type, subtype, channel, user, bot_id, text, ts, thread_ts } = event;
  const valid =
    type === 'message' &&
    optional(subtype, isText) &&
    isFilledText(channel) &&
    optional(user, isText) &&
    optional(bot_id, isText) &&
    optional(text, isText) &&
    isFilledText(ts) &&
    optional(thread_ts, isText);
  if (!valid) return undefined;
  return (text === undefined ? { ...event, text: '' } : event) as Message;
}

const encoder = new TextEncoder();

/** Subtypes a person's answer can have: none, or "also send to channel". */
const ANSWER_SUBTYPES = new Set([undefined, 'thread_broadcast']);

/** Slack's Events API: a person's reply in a thread becomes `clarification.replied`. */
export class SlackWebhookSource implements WebhookSource {
  readonly source = 'slack';
  readonly contentTypes = ['application/json'] as const;
  /** Slack wants its answer within 3 s; on runtimes that can finish later, answer first. */
  readonly answerWithinMs = 2500;
  readonly #secret: string;
  readonly #channel: string | undefined;
  readonly #botUserId: string | undefined;
  readonly #toleranceMs: number;
  readonly #trust: AuthorPolicy<SlackAuthorRole>;
  readonly #members: ChannelMembership | undefined;

  constructor(options: SlackWebhookSourceOptions) {
    if (!options.signingSecret)
      throw new Error('invalid Slack webhook config: signingSecret: a signing secret is required');
    this.#secret = options.signingSecret;
    this.#channel = options.channel;
    this.#botUserId = options.botUserId;
    this.#toleranceMs = options.toleranceMs ?? 300_000;
    this.#trust = authorPolicy(
      parseTrustedAuthors(slackTrustedAuthorsSchema, options.trustedAuthors, 'Slack webhook'),
      SLACK_DEFAULT_ROLES,
    );
    this.#members = options.members;
    if (this.#trust.roles.has('channel-member') && !this.#members)
      throw new Error(
        'invalid Slack webhook config: trustedAuthors: the role channel-member needs `members` (a SlackChannelMembers over the bot token) to look the channel up; or trust listed users only (roles: [], users: [...])',
      );
  }

  async verify(request: IncomingWebhook): Promise<void> {
    const timestamp = request.headers.get('x-slack-request-timestamp')?.trim();
    const signature = request.headers.get('x-slack-signature')?.trim();
    if (!timestamp || !signature)
      throw new WebhookError(401, 'missing X-Slack-Request-Timestamp or X-Slack-Signature header');
    if (!/^\d+$/.test(timestamp))
      throw new WebhookError(401, 'X-Slack-Request-Timestamp is not a number of seconds');
    const skew = request.receivedAt - Number(timestamp) * 1000;
    if (Math.abs(skew) > this.#toleranceMs)
      throw new WebhookError(
        401,
        `X-Slack-Request-Timestamp is ${Math.round(skew / 1000)} s from our clock; allowed ±${this.#toleranceMs / 1000} s`,
      );
    const prefix = encoder.encode(`v0:${timestamp}:`);
    const base = new Uint8Array(prefix.length + request.rawBody.length);
    base.set(prefix);
    base.set(request.rawBody, prefix.length);
    const expected = `v0=${await hmacSha256Hex(this.#secret, base)}`;
    if (!timingSafeEqual(signature.toLowerCase(), expected))
      throw new WebhookError(401, 'X-Slack-Signature does not match the body');
  }

  /**
   * By the id: `event_id` is in the signed body and the same on every retry (X-Slack-Retry-Num). A
   * handshake has none, and is then named by its bytes (and never remembered: it is answered, not handled).
   */
  identify(request: IncomingWebhook): DeliveryIdentity {
    const body = request.json() as { event_id?: unknown } | null;
    const deliveryId = typeof body?.event_id === 'string' && body.event_id !== '' ? body.event_id : undefined;
    return { ...(deliveryId ? { deliveryId } : {}), recognisedBy: 'id' };
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const envelope = readQuickly(envelopeSchema, quickEnvelope, request.json());
    if (!envelope.success) throw new WebhookError(400, 'not a Slack Events API payload');
    const body = envelope.data;
    if (body.type === 'url_verification') {
      if (!body.challenge) throw new WebhookError(400, 'url_verification without a challenge');
      return {
        events: [],
        reply: {
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({ challenge: body.challenge }),
        },
      };
    }
    if (body.type !== 'event_callback')
      return { events: [], ignored: `Slack ${body.type} envelopes are not handled` };
    if (!body.event_id || !body.event)
      throw new WebhookError(400, 'event_callback without event_id or event');
    // The event id is the same on every retry (X-Slack-Retry-Num), so the app answers retries as duplicates.
    const base = { deliveryId: body.event_id };
    if (body.event.type !== 'message')
      return { ...base, events: [], ignored: `Slack ${String(body.event.type)} events are not answers` };
    const parsed = readQuickly(messageSchema, quickMessage, body.event);
    if (!parsed.success) throw new WebhookError(400, 'Slack message event lacks channel or ts');
    const message = parsed.data;
    const ignored = this.#whyNotAnAnswer(message, body.authorizations ?? []);
    if (ignored) return { ...base, events: [], ignored };
    return {
      ...base,
      events: [
        {
          type: 'clarification.replied',
          threadId: `${message.channel}:${message.thread_ts}`,
          messageId: message.ts,
          text: message.text,
          author: await this.#author(message.user as string, message.channel),
        },
      ],
    };
  }

  /** Trusted: a listed user, or a member of the channel the reply is in (`conversations.members`). */
  async #author(user: string, channel: string): Promise<ReplyAuthor> {
    if (listedAuthor(this.#trust, user))
      return replyAuthor(user, true, `${user} is listed in trustedAuthors.users`);
    if (this.#trust.roles.has('channel-member') && this.#members) {
      if (await this.#members.has(channel, user))
        return replyAuthor(user, true, `a member of the channel ${channel}`);
      return replyAuthor(user, false, `not a member of the channel ${channel}; not in trustedAuthors.users`);
    }
    return replyAuthor(user, false, 'no role is trusted; not in trustedAuthors.users');
  }

  #whyNotAnAnswer(
    message: z.infer<typeof messageSchema>,
    authorizations: { user_id?: string; is_bot?: boolean }[],
  ): string | undefined {
    if (!ANSWER_SUBTYPES.has(message.subtype)) return `message subtype ${message.subtype} is not an answer`;
    if (message.bot_id) return 'messages from bots are not answers';
    if (!message.user) return 'message without an author';
    const ours = new Set(
      authorizations.filter((auth) => auth.is_bot && auth.user_id).map((auth) => auth.user_id),
    );
    if (this.#botUserId) ours.add(this.#botUserId);
    if (ours.has(message.user)) return 'our own bot wrote this message';
    if (!message.thread_ts || message.thread_ts === message.ts)
      return 'top-level messages are not answers to a question';
    if (this.#channel && message.channel !== this.#channel)
      return `message in ${message.channel}, not in the clarification channel`;
    return undefined;
  }
}
