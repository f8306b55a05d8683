import {
  type AuthorPolicy,
  authorPolicy,
  type ClarificationChannel,
  type ConnectionStatus,
  errorMessage,
  listedAuthor,
  type Mount,
  type OpenedThread,
  type ReplyAuthor,
  replyAuthor,
  trustedAuthorsSchema,
  type WorkItem,
  type WriteOptions,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { draftFileName } from './draft-name.ts';
import { parseJsonObject, parseMountedRecord, stringField } from './json-file.ts';
import type { MountEventSource, MountInterpretation } from './mount-event-source.ts';

// relayfile's layout for the chat: a channel folder is `<channel id>__<name>` (or the bare id); a
// message is created by writing a draft `{ text }` into `messages/`, a thread reply by writing one into
// `messages/<ts token>/replies/`; after the write-back the draft is rewritten as `{ created, url }`.
// Replies people post arrive as `.../threads/<ts>/replies/<ts>/meta.json` (`ts`, `thread_ts`, `text`,
// `user`), bare or inside the cloud sync's `{ objectType, deleted, payload }` (whose payload also names
// `threadTs`, `replyTs`). The sync puts a channel's records under `<channel id>__<name>` when it knows
// the name and under the bare `<channel id>` when it does not, so both folders are the channel's.
// A ts token is the message ts with `.` replaced by `_`.
const CHANNELS = '/slack/channels';
const REPLY_FILE =
  /^\/slack\/channels\/([^/]+)\/(?:.+\/)?threads\/([^/]+)\/replies\/([^/]+?)(?:\/meta)?\.json$/;
const CHANNEL_SEGMENT = /^[A-Za-z0-9]+(?:__[A-Za-z0-9._+=@-]+)?$/;

/**
 * Who may answer in the mounted chat. The mount has no member list, but the chat lets only a channel's
 * members post in it, and the mount shows this channel alone: so `channel-member` (the default) is a
 * person (not a bot) whose reply is in the configured channel. `users` lists user ids trusted anyway;
 * `roles: []` trusts the listed users only.
 */
export const MOUNT_AUTHOR_ROLES = ['channel-member'] as const;
export const mountTrustedAuthorsSchema = trustedAuthorsSchema(
  MOUNT_AUTHOR_ROLES,
  z
    .string()
    .check(z.regex(/^[UW][A-Z0-9]{2,}$/, 'expected a user id such as U0123ABCD (names change; ids do not)')),
);

export interface MountClarificationChannelOptions {
  mount: Mount;
  /** The channel folder the factory asks in: `<channel id>__<name>` or the bare channel id. */
  channel: string;
  /** The provider's config name; defaults to `slack`. */
  provider?: string;
  /** The factory's own user id, whose messages are not answers. */
  botUserId?: string;
  /** Who may answer; see `mountTrustedAuthorsSchema`. Default: people who reply in the channel. */
  trustedAuthors?: z.input<typeof mountTrustedAuthorsSchema>;
}

/** The chat as relayfile mounts it. */
export class MountClarificationChannel implements ClarificationChannel, MountEventSource {
  readonly provider: string;
  readonly requiredScopes: readonly string[] = [];
  readonly pathGlobs: readonly string[];
  readonly #mount: Mount;
  readonly #channel: string;
  readonly #channelId: string;
  readonly #botUserId: string | undefined;
  readonly #trust: AuthorPolicy<(typeof MOUNT_AUTHOR_ROLES)[number]>;

  constructor(options: MountClarificationChannelOptions) {
    if (!CHANNEL_SEGMENT.test(options.channel ?? ''))
      throw new Error(
        `MountClarificationChannel: channel "${options.channel}" must be a channel id or <id>__<name>`,
      );
    const trust = z.optional(mountTrustedAuthorsSchema).safeParse(options.trustedAuthors);
    if (!trust.success)
      throw new Error(
        `MountClarificationChannel: trustedAuthors: ${trust.error.issues
          .map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`)
          .join('; ')}`,
      );
    this.#trust = authorPolicy(trust.data, MOUNT_AUTHOR_ROLES);
    this.#mount = options.mount;
    this.#channel = options.channel;
    this.#channelId = channelIdOf(options.channel);
    this.#botUserId = options.botUserId;
    this.provider = options.provider ?? 'slack';
    this.pathGlobs = [...new Set([`${CHANNELS}/${this.#channelId}/**`, `${CHANNELS}/${options.channel}/**`])];
  }

  owns(path: string): boolean {
    const segment = path.split('/')[3];
    return (
      path.startsWith(`${CHANNELS}/`) && segment !== undefined && channelIdOf(segment) === this.#channelId
    );
  }

  interpretFile(path: string, content: string): MountInterpretation {
    const match = REPLY_FILE.exec(path);
    if (!match) return { events: [], ignored: `${path} is not a thread reply` };
    const mounted = parseMountedRecord(content);
    if (mounted?.deleted) return { events: [], ignored: `${path} is marked deleted by relayfile` };
    const reply = mounted?.record;
    const threadTs =
      stringField(reply, 'thread_ts') ?? stringField(reply, 'threadTs') ?? tsOf(match[2] ?? '');
    const ts = stringField(reply, 'ts') ?? stringField(reply, 'replyTs') ?? tsOf(match[3] ?? '');
    const text = stringField(reply, 'text');
    const author = stringField(reply, 'user');
    if (!reply || !text || !author) return { events: [], ignored: `${path} is not a complete reply` };
    if (reply.bot_id !== undefined || author === this.#botUserId)
      return { events: [], ignored: 'the factory does not answer its own messages' };
    const channelId = channelIdOf(match[1] ?? '');
    return {
      events: [
        {
          type: 'clarification.replied',
          threadId: `${channelId}:${threadTs}`,
          messageId: `${channelId}:${ts}`,
          text,
          author: this.#author(author, channelId),
        },
      ],
    };
  }

  #author(user: string, channelId: string): ReplyAuthor {
    if (listedAuthor(this.#trust, user))
      return replyAuthor(user, true, `${user} is listed in trustedAuthors.users`);
    if (!this.#trust.roles.has('channel-member'))
      return replyAuthor(user, false, 'no role is trusted; not in trustedAuthors.users');
    if (channelId !== this.#channelId)
      return replyAuthor(user, false, `replied in ${channelId}, not in the clarification channel`);
    return replyAuthor(user, true, `replied in the clarification channel ${channelId}`);
  }

  async openThread(item: WorkItem, question: string, options: WriteOptions): Promise<OpenedThread> {
    // Files are written at once and are idempotent by key; a lease that is ending starts none.
    options.signal?.throwIfAborted();
    const path = `${CHANNELS}/${this.#channel}/messages/${await draftFileName(options.idempotencyKey)}`;
    const link = item.source.url ? ` ${item.source.url}` : '';
    // The draft's name comes from the key: a retry finds the message the first attempt posted.
    if (!(await this.#mount.read(path)))
      await this.#mount.write(
        path,
        JSON.stringify({ text: `${question}\n\n${item.key}: ${item.title}${link}` }),
      );
    const posted = parseJsonObject((await this.#mount.read(path))?.content ?? '');
    const created = stringField(posted, 'created') ?? stringField(posted, 'ts');
    if (!created)
      throw new Error(
        `the question for ${item.key} was written but the chat has not reported its message yet`,
      );
    const url = stringField(posted, 'url');
    return { threadId: `${this.#channelId}:${tsOf(created)}`, ...(url ? { url } : {}) };
  }

  async reply(threadId: string, text: string, options: WriteOptions): Promise<void> {
    // Files are written at once and are idempotent by key; a lease that is ending starts none.
    options.signal?.throwIfAborted();
    const [channelId, threadTs] = threadId.split(':');
    if (!channelId || !threadTs) throw new Error(`"${threadId}" is not a thread this channel opened`);
    const folder = channelId === this.#channelId ? this.#channel : channelId;
    const path = `${CHANNELS}/${folder}/messages/${threadTs.replace('.', '_')}/replies/${await draftFileName(options.idempotencyKey)}`;
    if (await this.#mount.read(path)) return;
    await this.#mount.write(path, JSON.stringify({ text }));
  }

  async checkConnection(): Promise<ConnectionStatus> {
    try {
      await this.#mount.list(`${CHANNELS}/${this.#channel}`);
      return { state: 'connected' };
    } catch (error) {
      return { state: 'error', message: errorMessage(error) };
    }
  }
}

function channelIdOf(segment: string): string {
  return segment.split('__')[0] ?? segment;
}

/** `1726133700_887259` (a path token, possibly with a `__slug`) → `1726133700.887259`. */
function tsOf(token: string): string {
  const bare = token.split('__')[0] ?? token;
  return bare.includes('.') ? bare : bare.replace(/_(\d+)$/, '.$1');
}
