import { WebhookError } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import type { ChannelMembership } from '../src/slack/channel-members.ts';
import { SlackWebhookSource } from '../src/slack/webhook-source.ts';
import { fixtureJson, fixtureText, slackSignature } from './support/fixtures.ts';
import { incoming } from './support/webhooks.ts';

const SECRET = 'slack-signing-secret';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');

/** Channel members as `conversations.members` would list them; every question asked is kept. */
class Members implements ChannelMembership {
  readonly asked: string[] = [];
  readonly lists: Record<string, string[]>;
  constructor(lists: Record<string, string[]>) {
    this.lists = lists;
  }
  async has(channel: string, user: string): Promise<boolean> {
    this.asked.push(`${channel}/${user}`);
    return this.lists[channel]?.includes(user) ?? false;
  }
}

const members = new Members({ C111: ['W222', 'U111'] });
const source = new SlackWebhookSource({ signingSecret: SECRET, channel: 'C111', members });

function signed(body: string, at = NOW) {
  const timestamp = String(Math.floor(at / 1000));
  return {
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': slackSignature(SECRET, timestamp, body),
  };
}

function event(
  fixture: string,
  changes: (payload: Record<string, unknown> & { event: Record<string, unknown> }) => void = () => {},
) {
  const payload = fixtureJson(`slack/${fixture}`) as Record<string, unknown> & {
    event: Record<string, unknown>;
  };
  changes(payload);
  const body = JSON.stringify(payload);
  return incoming(body, signed(body), NOW);
}

async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

describe('v0 signatures', () => {
  const vector = fixtureJson<{ vectors: { signing_secret: string; headers: Record<string, string> }[] }>(
    'slack/signature-vectors.json',
  ).vectors[0]!;
  const body = fixtureText('slack/signing-vector.body.txt');
  const docs = new SlackWebhookSource({ signingSecret: vector.signing_secret, members });
  const sentAt = Number(vector.headers['X-Slack-Request-Timestamp']) * 1000;

  it("verify Slack's documented test vector", async () => {
    await expect(docs.verify(incoming(body, vector.headers, sentAt + 1000))).resolves.toBeUndefined();
  });

  // Another secret, no signature, another body, and the five-minute window either way: the WebhookSource
  // conformance suite (conformance/slack.test.ts).
  it('fail with a timestamp that is no number', async () => {
    const odd = { ...vector.headers, 'X-Slack-Request-Timestamp': 'yesterday' };
    expect((await rejection(docs.verify(incoming(body, odd, sentAt)))).message).toContain('not a number');
  });
});

describe('Events API', () => {
  it('answers url_verification with the challenge', async () => {
    const result = await source.interpret(event('url_verification.json'));
    expect(result.reply).toEqual({
      status: 200,
      contentType: 'application/json',
      body: '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}',
    });
  });

  it("turns a person's reply in a thread into clarification.replied, keyed by event_id", async () => {
    const result = await source.interpret(event('event_callback.message.thread_reply.channel.json'));
    expect(result.deliveryId).toBe('Ev111');
    expect(result.events).toEqual([
      {
        type: 'clarification.replied',
        threadId: 'C111:1726133698.626339',
        messageId: '1726133700.887259',
        text: 'When Slack was released?',
        author: { id: 'W222', trusted: true, reason: 'a member of the channel C111' },
      },
    ]);
  });

  it('counts a thread reply also sent to the channel as an answer', async () => {
    const result = await source.interpret(event('event_callback.message.thread_broadcast.json'));
    expect(result.events).toEqual([
      {
        type: 'clarification.replied',
        threadId: 'C111:1633663824.000500',
        messageId: '1633670813.007500',
        text: 'Hi there!',
        author: { id: 'U111', trusted: true, reason: 'a member of the channel C111' },
      },
    ]);
  });

  it.each([
    ['event_callback.message.bot_id.json', 'messages from bots are not answers'],
    ['event_callback.message.bot_message_subtype.json', 'message subtype bot_message is not an answer'],
    ['event_callback.message.user.json', 'our own bot wrote this message'],
    ['event_callback.message.thread_reply.im.json', 'message in D111, not in the clarification channel'],
  ])('ignores %s: %s', async (fixture, reason) => {
    const result = await source.interpret(event(fixture));
    expect(result.events).toEqual([]);
    expect(result.ignored).toBe(reason);
  });

  it('ignores top-level messages and edits', async () => {
    const topLevel = await source.interpret(
      event('event_callback.message.user.json', (payload) => {
        payload.event.user = 'W999';
      }),
    );
    expect(topLevel.ignored).toBe('top-level messages are not answers to a question');
    const edit = await source.interpret(
      event('event_callback.message.thread_reply.channel.json', (payload) => {
        payload.event.subtype = 'message_changed';
      }),
    );
    expect(edit.ignored).toBe('message subtype message_changed is not an answer');
  });

  it("ignores the configured bot's own replies", async () => {
    const ours = new SlackWebhookSource({ signingSecret: SECRET, botUserId: 'W222', members });
    expect((await ours.interpret(event('event_callback.message.thread_reply.channel.json'))).ignored).toBe(
      'our own bot wrote this message',
    );
  });

  it('ignores other events and envelopes with a reason', async () => {
    const reaction = await source.interpret(
      event('event_callback.message.thread_reply.channel.json', (payload) => {
        payload.event = { type: 'reaction_added', user: 'W222' };
      }),
    );
    expect(reaction.ignored).toBe('Slack reaction_added events are not answers');
    const limited = await source.interpret(
      event('url_verification.json', (payload) => void Object.assign(payload, { type: 'app_rate_limited' })),
    );
    expect(limited.ignored).toBe('Slack app_rate_limited envelopes are not handled');
  });

  it('rejects a message event without channel or ts as malformed', async () => {
    const error = await rejection(
      source.interpret(
        event('event_callback.message.thread_reply.channel.json', (payload) => {
          delete payload.event.ts;
        }),
      ),
    );
    expect(error.status).toBe(400);
  });

  it('must answer within Slack’s three seconds', () => {
    expect(source.answerWithinMs).toBeLessThan(3000);
  });
});

describe('who may answer: members of the channel, or listed users; never a bot', () => {
  const reply = (user: string) =>
    event('event_callback.message.thread_reply.channel.json', (payload) => {
      payload.event.user = user;
    });

  it('a person who is not a member of the channel is reported untrusted, with the reason', async () => {
    const [replied] = (await source.interpret(reply('U0STRANGER'))).events;
    expect(replied).toMatchObject({
      type: 'clarification.replied',
      author: {
        id: 'U0STRANGER',
        trusted: false,
        reason: 'not a member of the channel C111; not in trustedAuthors.users',
      },
    });
  });

  it('a listed user is trusted without asking Slack; roles: [] trusts the listed users only', async () => {
    const asked = new Members({});
    const listed = new SlackWebhookSource({
      signingSecret: SECRET,
      channel: 'C111',
      members: asked,
      trustedAuthors: { users: ['U0GUEST'] },
    });
    expect((await listed.interpret(reply('U0GUEST'))).events[0]).toMatchObject({
      author: { id: 'U0GUEST', trusted: true, reason: 'U0GUEST is listed in trustedAuthors.users' },
    });
    expect(asked.asked).toEqual([]);
    const onlyListed = new SlackWebhookSource({
      signingSecret: SECRET,
      channel: 'C111',
      trustedAuthors: { roles: [], users: ['U0GUEST'] },
    });
    expect((await onlyListed.interpret(reply('W222'))).events[0]).toMatchObject({
      author: { id: 'W222', trusted: false, reason: 'no role is trusted; not in trustedAuthors.users' },
    });
  });

  it('a bot’s message is never an answer, even when its user is listed', async () => {
    const listed = new SlackWebhookSource({
      signingSecret: SECRET,
      channel: 'C111',
      trustedAuthors: { roles: [], users: ['W222', 'U0BOT'] },
    });
    const result = await listed.interpret(
      event('event_callback.message.thread_reply.channel.json', (payload) => {
        Object.assign(payload.event, { user: 'U0BOT', bot_id: 'B0BOT' });
      }),
    );
    expect(result).toMatchObject({ events: [], ignored: 'messages from bots are not answers' });
  });

  it('refuses to trust channel members without a way to list them, and user names instead of ids', () => {
    expect(() => new SlackWebhookSource({ signingSecret: SECRET })).toThrow(
      'trustedAuthors: the role channel-member needs `members`',
    );
    expect(
      () => new SlackWebhookSource({ signingSecret: SECRET, members, trustedAuthors: { users: ['@alice'] } }),
    ).toThrow(
      'invalid Slack webhook config: trustedAuthors.users.0: expected a Slack user id such as U0123ABCD (names change; ids do not)',
    );
    expect(
      () => new SlackWebhookSource({ signingSecret: SECRET, members, trustedAuthors: { roles: ['admin'] } }),
    ).toThrow('trustedAuthors.roles.0: expected one of channel-member');
  });
});
