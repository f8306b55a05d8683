import type { ConnectionStatus } from '@software-factory/sdk';
import { FakeClock } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import {
  checkConnections,
  REFUSED_CONNECTIONS_TTL_MS,
  reusedConnections,
} from '../src/shared/tenant-connections.ts';

/** A provider whose connection check is counted, answering what `status` says at the time. */
function provider(name: string, status: () => ConnectionStatus | Promise<ConnectionStatus>) {
  const port = {
    provider: name,
    requiredScopes: [],
    checks: 0,
    async checkConnection() {
      port.checks++;
      return status();
    },
  };
  return port;
}

const connected: ConnectionStatus = { state: 'connected', identity: 'factory-bot' };
const TTL = 60_000;

function tenant(slackStatus: () => ConnectionStatus) {
  const clock = new FakeClock();
  const linear = provider('linear', () => connected);
  const slack = provider('slack', slackStatus);
  const connections = reusedConnections(
    () =>
      checkConnections([
        [linear, 'intake'],
        [slack, 'clarification'],
      ]),
    clock,
    TTL,
  );
  return { clock, linear, slack, connections };
}

describe('a tenant’s connections, asked before every webhook and by every /healthz', () => {
  it('asks each provider once per TTL while all are connected', async () => {
    const { clock, linear, slack, connections } = tenant(() => connected);
    for (let i = 0; i < 20; i++) await connections();
    clock.advance(TTL - 1);
    await connections();
    expect([linear.checks, slack.checks]).toEqual([1, 1]);

    clock.advance(1);
    await connections();
    expect([linear.checks, slack.checks]).toEqual([2, 2]);
  });

  it('asks again within seconds while one is refused, so a provider signed in to takes work soon', async () => {
    let slackStatus: ConnectionStatus = { state: 'needs-auth', reason: 'token_revoked' };
    const { clock, slack, connections } = tenant(() => slackStatus);
    expect((await connections())[1]?.status.state).toBe('needs-auth');

    slackStatus = connected;
    clock.advance(REFUSED_CONNECTIONS_TTL_MS);
    expect((await connections()).map((report) => report.status.state)).toEqual(['connected', 'connected']);
    expect(slack.checks).toBe(2);
  });

  it('does not ask on every request while one is refused: a flood of requests costs one check per few seconds', async () => {
    const { clock, linear, slack, connections } = tenant(() => ({ state: 'needs-auth', reason: 'expired' }));
    for (let i = 0; i < 500; i++) {
      await connections();
      clock.advance(10);
    }
    // 5,000 ms of requests, every 10 ms: one check, and the connected provider is not worn down either.
    expect([linear.checks, slack.checks]).toEqual([1, 1]);
  });

  it('shares one check between callers that come while it runs', async () => {
    let answer: (status: ConnectionStatus) => void = () => {};
    const clock = new FakeClock();
    const slow = provider('slack', () => new Promise<ConnectionStatus>((resolve) => (answer = resolve)));
    const connections = reusedConnections(() => checkConnections([[slow, 'clarification']]), clock, TTL);
    const waiting = [connections(), connections(), connections()];
    answer(connected);
    expect((await Promise.all(waiting)).map((reports) => reports[0]?.status.state)).toEqual([
      'connected',
      'connected',
      'connected',
    ]);
    expect(slow.checks).toBe(1);
  });

  it('reports a check that throws as an error, and keeps no check that failed as a whole', async () => {
    const clock = new FakeClock();
    const broken = provider('github', () => {
      throw new Error('getaddrinfo ENOTFOUND api.github.com');
    });
    expect(await checkConnections([[broken, 'output']])).toEqual([
      {
        provider: 'github',
        role: 'output',
        status: { state: 'error', message: 'getaddrinfo ENOTFOUND api.github.com' },
      },
    ]);

    let calls = 0;
    const connections = reusedConnections(
      async () => {
        calls++;
        if (calls === 1) throw new Error('the registry is unreadable');
        return [];
      },
      clock,
      TTL,
    );
    await expect(connections()).rejects.toThrow('the registry is unreadable');
    expect(await connections()).toEqual([]);
    expect(calls).toBe(2);
  });
});
