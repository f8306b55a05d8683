import type { Context } from 'hono';
import { type Fault, FaultQueue, faultResponse, type Loopback, listen, newApp } from './loopback.ts';

export interface SlackMessageRecord {
  channel: string;
  ts: string;
  text: string;
  user: string;
  bot_id: string;
  thread_ts?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/**
 * Slack's Web API at `/api/<method>` on loopback: form or JSON posts, `Authorization: Bearer`, answers
 * `{ok: true, ...}` or HTTP 200 `{ok: false, error}` as Slack does, and `x-oauth-scopes` on every reply.
 */
export class SlackServer {
  readonly messages: SlackMessageRecord[] = [];
  /** Every method called, faults included. */
  readonly calls: { method: string; args: Record<string, string> }[] = [];
  readonly faults = new FaultQueue();
  readonly tokens = new Set<string>(['xoxb-test-token']);
  scopes = ['chat:write', 'channels:history', 'channels:read'];
  readonly botUserId = 'UFACTORYBOT';
  /**
   * Who is in each channel (`conversations.members`); a channel not listed has `defaultMembers`: the
   * bot and W222, the person of the captured Slack payloads.
   */
  readonly members = new Map<string, string[]>();
  defaultMembers = ['UFACTORYBOT', 'W222'];
  #clock = 1_767_225_600;
  #sequence = 0;
  #loopback: Loopback | undefined;

  get url(): string {
    if (!this.#loopback) throw new Error('SlackServer is not started');
    return `${this.#loopback.url}/api`;
  }

  async start(): Promise<this> {
    const app = newApp();
    app.post('/api/:method', async (c) => {
      const method = c.req.param('method');
      const args = await readArgs(c);
      this.calls.push({ method, args });
      const fault = this.faults.take(method);
      if (fault) return faultResponse(fault);
      const headers = { 'x-oauth-scopes': this.scopes.join(','), 'x-accepted-oauth-scopes': 'chat:write' };
      const header = c.req.header('authorization') ?? '';
      if (!header.startsWith('Bearer ') || !this.tokens.has(header.slice(7)))
        return c.json({ ok: false, error: 'invalid_auth' }, 200, headers);
      if ('token' in args) return c.json({ ok: false, error: 'invalid_arguments' }, 200, headers);
      return c.json(this.#answer(method, args), 200, headers);
    });
    this.#loopback = await listen(app);
    return this;
  }

  async stop(): Promise<void> {
    await this.#loopback?.close();
  }

  failNext(method: string, ...faults: Fault[]): void {
    this.faults.add(method, ...faults);
  }

  posts(): SlackMessageRecord[] {
    return this.messages;
  }

  callsOf(method: string): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  #answer(method: string, args: Record<string, string>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://acme.slack.com/',
          team: 'Acme',
          user: 'factory',
          team_id: 'T111',
          user_id: this.botUserId,
          bot_id: 'BFACTORY',
        };
      case 'chat.postMessage': {
        if (!args.channel || !args.text)
          return { ok: false, error: args.channel ? 'no_text' : 'channel_not_found' };
        const message: SlackMessageRecord = {
          channel: args.channel,
          ts: this.#nextTs(),
          text: args.text,
          user: this.botUserId,
          bot_id: 'BFACTORY',
          ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}),
          ...(args.metadata ? { metadata: JSON.parse(args.metadata) } : {}),
        };
        this.messages.push(message);
        return { ok: true, channel: message.channel, ts: message.ts, message: this.#view(message, true) };
      }
      case 'chat.getPermalink': {
        const found = this.messages.find(
          (message) => message.channel === args.channel && message.ts === args.message_ts,
        );
        if (!found) return { ok: false, error: 'message_not_found' };
        return {
          ok: true,
          channel: found.channel,
          permalink: `https://acme.slack.com/archives/${found.channel}/p${found.ts.replace('.', '')}`,
        };
      }
      case 'conversations.history': {
        const limit = Number(args.limit ?? 100);
        const top = this.messages
          .filter(
            (message) =>
              message.channel === args.channel && (!message.thread_ts || message.thread_ts === message.ts),
          )
          .reverse()
          .slice(0, limit);
        return {
          ok: true,
          has_more: false,
          messages: top.map((message) => this.#view(message, args.include_all_metadata === 'true')),
        };
      }
      case 'conversations.replies': {
        const thread = this.messages.filter(
          (message) =>
            message.channel === args.channel && (message.ts === args.ts || message.thread_ts === args.ts),
        );
        if (thread.length === 0) return { ok: false, error: 'thread_not_found' };
        return {
          ok: true,
          has_more: false,
          messages: thread.map((message) => this.#view(message, args.include_all_metadata === 'true')),
        };
      }
      case 'conversations.members': {
        // Pages of `limit`; the cursor is the offset, opaque to the client as Slack's is.
        const all = this.members.get(args.channel ?? '') ?? this.defaultMembers;
        const limit = Number(args.limit ?? 100);
        const from = args.cursor ? Number(Buffer.from(args.cursor, 'base64').toString('utf8')) : 0;
        const next = from + limit < all.length ? Buffer.from(String(from + limit)).toString('base64') : '';
        return {
          ok: true,
          members: all.slice(from, from + limit),
          response_metadata: { next_cursor: next },
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  #view(message: SlackMessageRecord, withMetadata: boolean) {
    const { metadata, channel: _channel, ...rest } = message;
    return { type: 'message', ...rest, ...(withMetadata && metadata ? { metadata } : {}) };
  }

  #nextTs(): string {
    this.#sequence++;
    return `${this.#clock + this.#sequence}.${String(this.#sequence).padStart(6, '0')}`;
  }
}

async function readArgs(c: Context): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('application/json')) {
    const json = (await c.req.json()) as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(json).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    );
  }
  const form = new URLSearchParams(await c.req.text());
  return Object.fromEntries(form);
}
