import { sampleWorkItem } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotAuthorisedError } from '../src/shared/provider-errors.ts';
import { type SlackChannelOptions, SlackClarificationChannel } from '../src/slack/clarification-channel.ts';
import { recordingSleep } from './support/loopback.ts';
import { SlackServer } from './support/slack-server.ts';

const TOKEN = 'xoxb-test-token';
let server: SlackServer;

beforeAll(async () => {
  server = await new SlackServer().start();
});
afterAll(() => server.stop());
beforeEach(() => {
  server.messages.length = 0;
  server.calls.length = 0;
  server.scopes = ['chat:write', 'channels:history', 'channels:read'];
});

function channel(options: Partial<SlackChannelOptions> = {}) {
  const recorder = recordingSleep();
  const slack = new SlackClarificationChannel({
    channel: 'C0FACTORY',
    apiUrl: server.url,
    token: TOKEN,
    retry: { sleep: recorder.sleep, random: () => 0.5 },
    ...options,
  });
  return Object.assign(slack, { waits: recorder.waits });
}

const item = sampleWorkItem({
  id: 'item-1',
  key: 'ENG-7',
  title: 'Fix it',
  source: { provider: 'linear', externalId: 'item-1', url: 'https://linear.app/acme/issue/ENG-7' },
});

describe('opening a thread', () => {
  it('posts the question in the channel and returns <channel>:<ts> with the permalink', async () => {
    const slack = channel();
    const thread = await slack.openThread(item, 'What should change?', { idempotencyKey: 't/item-1/r1/e1' });
    const [post] = server.posts();
    expect(post?.channel).toBe('C0FACTORY');
    expect(post?.text).toContain('What should change?');
    expect(post?.text).toContain('<https://linear.app/acme/issue/ENG-7|ENG-7>');
    expect(thread).toEqual({
      threadId: `C0FACTORY:${post?.ts}`,
      url: `https://acme.slack.com/archives/C0FACTORY/p${post?.ts.replace('.', '')}`,
    });
  });

  // Once per idempotency key: the ClarificationChannel conformance suite (conformance/slack.test.ts).
  it('finds an earlier post by a digest of its key in the message metadata, never the key itself', async () => {
    const slack = channel();
    await slack.openThread(item, 'What should change?', { idempotencyKey: 't/item-1/r1/e1' });
    expect(server.posts()[0]?.metadata?.event_type).toBe('factory_clarification');
    expect(JSON.stringify(server.posts())).not.toContain('t/item-1/r1/e1');
  });
});

describe('replying', () => {
  it('posts in the thread of the question', async () => {
    const slack = channel();
    const { threadId } = await slack.openThread(item, 'What should change?', { idempotencyKey: 'open' });
    await slack.reply(threadId, 'Thanks, that is enough to start.', { idempotencyKey: 'ack' });
    const replies = server.posts().filter((message) => message.thread_ts);
    expect(replies.map((message) => [message.thread_ts, message.text])).toEqual([
      [threadId.split(':')[1], 'Thanks, that is enough to start.'],
    ]);
  });

  it('refuses a thread id it did not make', async () => {
    await expect(channel().reply('not-a-thread', 'hi', { idempotencyKey: 'k' })).rejects.toThrow(
      'not a Slack thread id',
    );
  });
});

describe('transient failures', () => {
  it('retries reads after a 429 (its Retry-After) and 5xx answers, and a post after a 429', async () => {
    const slack = channel();
    server.failNext(
      'conversations.history',
      { status: 429, headers: { 'retry-after': '2' }, body: { ok: false, error: 'ratelimited' } },
      { status: 503, body: 'upstream' },
    );
    server.failNext('chat.postMessage', {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { ok: false, error: 'ratelimited' },
    });
    await slack.openThread(item, 'What should change?', { idempotencyKey: 'k' });
    expect(server.posts()).toHaveLength(1);
    expect(slack.waits).toEqual([2000, expect.any(Number), 1000]);
  });

  it('does not post again after a 5xx, which may have landed: it looks, and leaves the post to the next attempt', async () => {
    const slack = channel();
    server.failNext('chat.postMessage', { status: 503, body: 'upstream' });
    await expect(slack.openThread(item, 'What should change?', { idempotencyKey: 'k' })).rejects.toThrow(
      'Slack chat.postMessage failed: HTTP 503',
    );
    expect(server.posts()).toHaveLength(0);
    expect(server.callsOf('conversations.history')).toBe(2);

    const thread = await slack.openThread(item, 'What should change?', { idempotencyKey: 'k' });
    expect(server.posts().map((post) => `C0FACTORY:${post.ts}`)).toEqual([thread.threadId]);
  });

  it('finds a post whose answer was lost after it landed, instead of posting it twice', async () => {
    // Slack takes the message, and the connection drops before its answer arrives.
    const losingAnswers: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).endsWith('/chat.postMessage')) throw new TypeError('fetch failed: other side closed');
      return response;
    };
    const slack = channel({ fetch: losingAnswers });
    const { threadId } = await slack.openThread(item, 'What should change?', { idempotencyKey: 'open' });
    await slack.reply(threadId, 'Thanks, that is enough to start.', { idempotencyKey: 'ack' });

    const [question, reply] = server.posts();
    expect(server.posts()).toHaveLength(2);
    expect(threadId).toBe(`C0FACTORY:${question?.ts}`);
    expect(reply?.thread_ts).toBe(question?.ts);
  });

  it('surfaces a Slack error code as a clear error', async () => {
    const slack = channel({ channel: 'C0MISSING' });
    server.failNext('chat.postMessage', { status: 200, body: { ok: false, error: 'channel_not_found' } });
    await expect(slack.openThread(item, 'Q?', { idempotencyKey: 'k' })).rejects.toThrow(
      'Slack chat.postMessage failed: channel_not_found',
    );
  });
});

describe('connection', () => {
  it('is connected with the scopes auth.test reports in x-oauth-scopes', async () => {
    expect(await channel().checkConnection()).toEqual({
      state: 'connected',
      identity: 'factory @ Acme',
      grantedScopes: ['chat:write', 'channels:history', 'channels:read'],
    });
  });

  it('names the missing scopes; a private channel needs groups:history and groups:read', async () => {
    server.scopes = ['chat:write'];
    expect(await channel().checkConnection()).toMatchObject({
      state: 'missing-scopes',
      missing: ['channels:history', 'channels:read'],
    });
    const private_ = channel({ privateChannel: true, channel: 'G0PRIVATE' });
    expect(private_.requiredScopes).toEqual(['chat:write', 'groups:history', 'groups:read']);
    expect(await private_.checkConnection()).toMatchObject({
      state: 'missing-scopes',
      missing: ['groups:history', 'groups:read'],
    });
  });

  it('needs channels:read only while channel members may answer (to list them)', () => {
    expect(channel().requiredScopes).toEqual(['chat:write', 'channels:history', 'channels:read']);
    const listedOnly = channel({ trustedAuthors: { roles: [], users: ['U0ANA'] } });
    expect(listedOnly.requiredScopes).toEqual(['chat:write', 'channels:history']);
    expect(listedOnly.trustedAuthors).toEqual({ roles: [], users: ['U0ANA'] });
    expect(() => channel({ trustedAuthors: { users: ['ana'] } })).toThrow(
      'invalid Slack channel config: trustedAuthors.users.0: expected a Slack user id such as U0123ABCD (names change; ids do not)',
    );
  });

  // needs-auth without a token or on invalid_auth, and error when Slack cannot be reached: the
  // ClarificationChannel conformance suite (conformance/slack.test.ts).
  it('needs auth on an HTTP 401 too; a refused token never appears', async () => {
    const revoked = await channel({ token: 'xoxb-revoked-token' }).checkConnection();
    expect(JSON.stringify(revoked)).not.toContain('xoxb-revoked-token');
    server.failNext('auth.test', { status: 401, body: { ok: false, error: 'not_authed' } });
    expect((await channel().checkConnection()).state).toBe('needs-auth');
    const error = await channel({ token: 'xoxb-revoked-token' })
      .openThread(item, 'Q?', { idempotencyKey: 'k' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotAuthorisedError);
    expect((error as Error).message).toContain('factory connect slack');
  });

  it('never puts the token in the URL or the form', async () => {
    await channel().checkConnection();
    expect(JSON.stringify(server.calls)).not.toContain(TOKEN);
  });
});

describe('config', () => {
  it.each([
    [{ channel: '#factory' }, 'channel'],
    [{ channel: 'C0FACTORY', lookback: 0 }, 'lookback'],
    [{ channel: 'C0FACTORY', apiUrl: 'slack' }, 'apiUrl'],
    [{ channel: 'C0FACTORY', channelName: 'factory' }, 'channelName'],
  ])('rejects %j naming the field', (config, field) => {
    expect(() => new SlackClarificationChannel(config as SlackChannelOptions)).toThrow(
      new RegExp(`invalid Slack channel config: .*${field}`),
    );
  });
});
