import type {
  ClarificationChannel,
  ConnectionStatus,
  Fetch,
  OpenedThread,
  RetryOptions,
  WorkItem,
  WriteOptions,
} from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { SLACK_DEFAULT_ROLES, slackTrustedAuthorsSchema } from '../shared/answer-trust.ts';
import { keyDigest } from '../shared/deterministic-uuid.ts';
import { parseConfig, scopeStatus } from '../shared/provider-config.ts';
import type { TokenSource } from '../shared/provider-credentials.ts';
import { NotAuthorisedError, ProviderApiError } from '../shared/provider-errors.ts';
import { writeOnce } from '../shared/write-once.ts';
import { SlackChannelMembers } from './channel-members.ts';
import { SlackClient } from './client.ts';

/** Our messages carry this metadata event type, so a retried post can find the one that landed. */
export const SLACK_METADATA_EVENT = 'factory_clarification';

export const slackConfigSchema = z.strictObject({
  provider: z._default(z.string().check(z.minLength(1)), 'slack'),
  apiUrl: z._default(z.url(), 'https://slack.com/api'),
  /**
   * The channel id (not its name: events carry ids) where questions are asked. Without it the channel
   * can be checked and connected, but asks nothing: the factory needs it before it takes work.
   */
  channel: z.optional(
    z.string().check(z.regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel id such as C0123456789')),
  ),
  /** A private channel needs `groups:history` instead of `channels:history`. */
  privateChannel: z._default(z.boolean(), false),
  /** How many recent messages to search for an earlier attempt of the same post. */
  lookback: z._default(z.int().check(z.minimum(1), z.maximum(1000)), 100),
  /**
   * Whose reply is an answer: by default members of the channel (`conversations.members`, which needs
   * `channels:read`, or `groups:read` for a private channel); `users` lists user ids trusted anyway;
   * `roles: []` trusts the listed users only.
   */
  trustedAuthors: z.optional(slackTrustedAuthorsSchema),
});
export type SlackConfig = z.input<typeof slackConfigSchema>;

export interface SlackChannelOptions extends SlackConfig {
  token?: TokenSource;
  fetch?: Fetch;
  retry?: RetryOptions;
}

interface SlackMessage {
  ts: string;
  metadata?: { event_type?: string; event_payload?: { key?: string } };
}

/** Slack as the clarification channel: one thread per question, in one configured channel. */
export class SlackClarificationChannel implements ClarificationChannel {
  readonly provider: string;
  /** Where questions are asked; undefined until the config names it (then asking throws). */
  readonly channel: string | undefined;
  /**
   * Bot scopes: `chat:write` to post; `channels:history` (or `groups:history` for a private channel)
   * to receive the `message` events of replies and to find a post a retry must not repeat; and, while
   * channel members are trusted to answer, `channels:read` (or `groups:read`) to list them.
   */
  readonly requiredScopes: readonly string[];
  readonly client: SlackClient;
  /** Who may answer, as configured; the webhook source applies it. */
  readonly trustedAuthors: z.output<typeof slackTrustedAuthorsSchema> | undefined;
  /** The channel's members, read with this channel's token and kept for a minute. */
  readonly members: SlackChannelMembers;
  readonly #lookback: number;

  constructor(options: SlackChannelOptions) {
    const { token, fetch, retry, ...config } = options;
    const parsed = parseConfig(slackConfigSchema, config, 'Slack channel');
    this.provider = parsed.provider;
    this.channel = parsed.channel;
    this.#lookback = parsed.lookback;
    this.trustedAuthors = parsed.trustedAuthors;
    const membersTrusted = (parsed.trustedAuthors?.roles ?? SLACK_DEFAULT_ROLES).includes('channel-member');
    this.requiredScopes = [
      'chat:write',
      parsed.privateChannel ? 'groups:history' : 'channels:history',
      ...(membersTrusted ? [parsed.privateChannel ? 'groups:read' : 'channels:read'] : []),
    ];
    this.client = new SlackClient({
      apiUrl: parsed.apiUrl,
      ...(token !== undefined ? { token } : {}),
      ...(fetch ? { fetch } : {}),
      ...(retry ? { retry } : {}),
    });
    this.members = new SlackChannelMembers({ client: this.client });
  }

  async openThread(item: WorkItem, question: string, options: WriteOptions): Promise<OpenedThread> {
    const channel = this.channel;
    if (!channel)
      throw new Error('no Slack channel is configured to ask in: set clarificationChannel.channel');
    options.signal?.throwIfAborted();
    const key = await keyDigest(options.idempotencyKey);
    const { signal } = options;
    const ts = await this.#postOnce(
      { channel, text: questionText(item, question) },
      { key, workItemKey: item.key, signal },
      () => this.#findOurs('conversations.history', { channel }, key, signal),
    );
    const permalink = await this.client
      .call<{ permalink: string }>('chat.getPermalink', { channel, message_ts: ts })
      .then((result) => result.body.permalink)
      .catch(() => undefined);
    return { threadId: `${channel}:${ts}`, ...(permalink ? { url: permalink } : {}) };
  }

  async reply(threadId: string, text: string, options: WriteOptions): Promise<void> {
    const { channel, ts } = parseThreadId(threadId);
    options.signal?.throwIfAborted();
    const key = await keyDigest(options.idempotencyKey);
    const { signal } = options;
    await this.#postOnce({ channel, thread_ts: ts, text }, { key, signal }, () =>
      this.#findOurs('conversations.replies', { channel, ts }, key, signal),
    );
  }

  async checkConnection(): Promise<ConnectionStatus> {
    try {
      if (!(await this.client.credential()))
        return { state: 'needs-auth', reason: 'no Slack token is configured' };
      const { body, headers } = await this.client.call<{ user?: string; team?: string }>('auth.test');
      const scopes = headers.get('x-oauth-scopes');
      const granted =
        scopes === null
          ? undefined
          : scopes
              .split(',')
              .map((scope) => scope.trim())
              .filter(Boolean);
      return scopeStatus(
        `${body.user ?? 'unknown'} @ ${body.team ?? 'unknown'}`,
        this.requiredScopes,
        granted,
      );
    } catch (error) {
      if (error instanceof NotAuthorisedError) return { state: 'needs-auth', reason: error.message };
      return { state: 'error', message: errorMessage(error) };
    }
  }

  /** Posts once per key (`writeOnce`: found by its metadata), and returns the message's ts. */
  async #postOnce(
    args: Record<string, string>,
    write: { key: string; workItemKey?: string; signal: AbortSignal | undefined },
    findOurs: () => Promise<SlackMessage | undefined>,
  ): Promise<string> {
    const metadata = {
      event_type: SLACK_METADATA_EVENT,
      event_payload: { key: write.key, ...(write.workItemKey ? { item: write.workItemKey } : {}) },
    };
    return writeOnce(
      async () => (await findOurs())?.ts,
      async () => {
        const { body } = await this.client.call<{ ts?: string }>(
          'chat.postMessage',
          { ...args, metadata: JSON.stringify(metadata), unfurl_links: false, unfurl_media: false },
          { signal: write.signal, notIdempotent: true },
        );
        if (!body.ts) throw new ProviderApiError('slack', 'Slack chat.postMessage returned no message ts');
        return body.ts;
      },
    );
  }

  /** An earlier attempt of this same write that did land (its metadata carries the key digest). */
  async #findOurs(
    method: string,
    args: Record<string, string>,
    key: string,
    signal: AbortSignal | undefined,
  ): Promise<SlackMessage | undefined> {
    const { body } = await this.client.call<{ messages?: SlackMessage[] }>(
      method,
      { ...args, limit: this.#lookback, include_all_metadata: true },
      { signal },
    );
    return (body.messages ?? []).find(
      (message) =>
        message.metadata?.event_type === SLACK_METADATA_EVENT && message.metadata.event_payload?.key === key,
    );
  }
}

function questionText(item: WorkItem, question: string): string {
  const link = item.source.url ? `<${item.source.url}|${item.key}>` : item.key;
  return `*${link}: ${item.title}*\n${question}\n_Reply in this thread; an agent starts once the work is clear._`;
}

/** `<channel>:<ts>` as `openThread` made it. */
export function parseThreadId(threadId: string): { channel: string; ts: string } {
  const match = /^([A-Z0-9]+):(\d+\.\d+)$/.exec(threadId);
  if (!match) throw new Error(`not a Slack thread id: "${threadId}" (expected <channel>:<ts>)`);
  return { channel: match[1] as string, ts: match[2] as string };
}
