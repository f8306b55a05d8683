import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackChannelMembers } from '../src/slack/channel-members.ts';
import { SlackClient } from '../src/slack/client.ts';
import { SlackServer } from './support/slack-server.ts';

let server: SlackServer;
let now: number;
beforeAll(async () => {
  server = await new SlackServer().start();
});
afterAll(() => server.stop());
beforeEach(() => {
  server.calls.length = 0;
  server.members.clear();
  now = 1_000_000;
});

function members() {
  const client = new SlackClient({
    apiUrl: server.url,
    token: 'xoxb-test-token',
    retry: { sleep: async () => {} },
  });
  return new SlackChannelMembers({ client, ttlMs: 60_000, refreshOnMissMs: 10_000, now: () => now });
}

describe('channel members from conversations.members, kept a minute per process', () => {
  it('reads every page of a large channel once, then answers from memory', async () => {
    const many = Array.from({ length: 2500 }, (_, index) => `U${String(index).padStart(6, '0')}`);
    server.members.set('C0BIG', many);
    const list = members();
    expect(await list.has('C0BIG', 'U002499')).toBe(true);
    expect(await list.has('C0BIG', 'U000000')).toBe(true);
    expect(server.callsOf('conversations.members')).toBe(3);
    expect(server.calls.map((call) => call.args.limit)).toEqual(['1000', '1000', '1000']);
  });

  it('a stranger costs no read while the list is young; a later miss reads again once, for someone who just joined', async () => {
    server.members.set('C111', ['W222']);
    const list = members();
    expect(await list.has('C111', 'W222')).toBe(true);
    expect(await list.has('C111', 'U0STRANGER')).toBe(false);
    expect(await list.has('C111', 'U0STRANGER')).toBe(false);
    expect(server.callsOf('conversations.members')).toBe(1);

    now += 15_000;
    server.members.set('C111', ['W222', 'U0NEWCOMER']);
    expect(await list.has('C111', 'U0NEWCOMER')).toBe(true);
    expect(server.callsOf('conversations.members')).toBe(2);
  });

  it('reads the list again after the minute, so someone who left is no longer a member', async () => {
    server.members.set('C111', ['W222']);
    const list = members();
    expect(await list.has('C111', 'W222')).toBe(true);
    server.members.set('C111', []);
    now += 59_000;
    expect(await list.has('C111', 'W222')).toBe(true);
    now += 2_000;
    expect(await list.has('C111', 'W222')).toBe(false);
    expect(server.callsOf('conversations.members')).toBe(2);
  });

  it('shares one read between concurrent questions and keeps no failed read', async () => {
    server.members.set('C111', ['W222']);
    const list = members();
    await Promise.all([list.has('C111', 'W222'), list.has('C111', 'W222'), list.has('C111', 'W222')]);
    expect(server.callsOf('conversations.members')).toBe(1);

    const fresh = members();
    server.failNext('conversations.members', { status: 200, body: { ok: false, error: 'missing_scope' } });
    await expect(fresh.has('C111', 'W222')).rejects.toThrow('missing_scope');
    expect(await fresh.has('C111', 'W222')).toBe(true);
  });
});
