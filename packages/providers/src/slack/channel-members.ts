import type { SlackClient } from './client.ts';

/** Whether a user is a member of a channel; what the Slack source asks before it trusts a reply. */
export interface ChannelMembership {
  has(channel: string, user: string): Promise<boolean>;
}

export interface SlackChannelMembersOptions {
  client: SlackClient;
  /** How long a channel's member list is kept in this process. Default one minute. */
  ttlMs?: number;
  /**
   * A user missing from a list at least this old makes the list be read again once (someone may have
   * just joined); a younger list answers alone, so strangers cannot make it be read more often. Default 10 s.
   */
  refreshOnMissMs?: number;
  /** The clock; tests pass their own. */
  now?: () => number;
}

/** Slack returns at most this many members per page; a channel of more pages than `MAX_PAGES` is cut. */
const PAGE_SIZE = 1000;
const MAX_PAGES = 100;

interface CachedList {
  members: ReadonlySet<string>;
  readAt: number;
}

/**
 * A channel's members from `conversations.members` (scope `channels:read`, or `groups:read` for a
 * private channel), every page, kept per process for a short while. Concurrent asks share one read; a
 * failed read is not kept.
 */
export class SlackChannelMembers implements ChannelMembership {
  readonly #client: SlackClient;
  readonly #ttlMs: number;
  readonly #refreshOnMissMs: number;
  readonly #now: () => number;
  readonly #lists = new Map<string, CachedList>();
  readonly #reading = new Map<string, Promise<CachedList>>();

  constructor(options: SlackChannelMembersOptions) {
    this.#client = options.client;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#refreshOnMissMs = options.refreshOnMissMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  async has(channel: string, user: string): Promise<boolean> {
    const now = this.#now();
    const cached = this.#lists.get(channel);
    const fresh = cached && now - cached.readAt < this.#ttlMs ? cached : await this.#read(channel);
    if (fresh.members.has(user)) return true;
    if (now - fresh.readAt < this.#refreshOnMissMs) return false;
    return (await this.#read(channel)).members.has(user);
  }

  #read(channel: string): Promise<CachedList> {
    let reading = this.#reading.get(channel);
    if (!reading) {
      reading = this.#list(channel).finally(() => this.#reading.delete(channel));
      this.#reading.set(channel, reading);
    }
    return reading;
  }

  async #list(channel: string): Promise<CachedList> {
    const members = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { body } = await this.#client.call<{
        members?: string[];
        response_metadata?: { next_cursor?: string };
      }>('conversations.members', { channel, limit: PAGE_SIZE, cursor });
      for (const member of body.members ?? []) members.add(member);
      cursor = body.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    const list = { members, readAt: this.#now() };
    this.#lists.set(channel, list);
    return list;
  }
}
