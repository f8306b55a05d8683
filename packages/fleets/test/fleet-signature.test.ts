import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { callbackToEvent, signedContent, signFleetPayload, verifyFleetSignature } from '../src/index.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('the fleet signature scheme', () => {
  it('is hex HMAC-SHA256 of "<timestamp>.<content>" as any HMAC library computes it', async () => {
    const timestamp = NOW / 1000;
    const body = '{"agentId":"a-1"}';
    const expected = createHmac('sha256', 'k').update(`${timestamp}.${body}`).digest('hex');
    expect(await signFleetPayload('k', timestamp, body)).toBe(`sha256=${expected}`);
  });

  it('signs the method and path of a request without a body, so it cannot be replayed elsewhere', () => {
    expect(signedContent('get', '/factory/agents/a-1', '')).toBe('GET /factory/agents/a-1');
    expect(signedContent('POST', '/factory/agents', '{"x":1}')).toBe('{"x":1}');
  });

  it('accepts a fresh, correct signature and explains each refusal', async () => {
    const headers = async (timestamp: number, secret = 'k', content = 'body') =>
      new Headers({
        'x-factory-timestamp': String(timestamp),
        'x-factory-signature': await signFleetPayload(secret, timestamp, content),
      });
    const seconds = NOW / 1000;
    expect(await verifyFleetSignature('k', await headers(seconds - 299), 'body', NOW)).toEqual({ ok: true });
    expect(await verifyFleetSignature('k', await headers(seconds - 301), 'body', NOW)).toMatchObject({
      reason: 'timestamp outside the 5-minute window',
    });
    expect(await verifyFleetSignature('k', await headers(seconds + 301), 'body', NOW)).toMatchObject({
      ok: false,
    });
    expect(await verifyFleetSignature('k', await headers(seconds, 'other'), 'body', NOW)).toMatchObject({
      reason: 'signature does not match',
    });
    expect(await verifyFleetSignature('k', await headers(seconds), 'tampered', NOW)).toMatchObject({
      ok: false,
    });
    expect(await verifyFleetSignature('k', new Headers(), 'body', NOW)).toMatchObject({
      reason: 'missing signature or timestamp header',
    });
    const milliseconds = new Headers({ 'x-factory-timestamp': '1.5e9', 'x-factory-signature': 'sha256=00' });
    expect(await verifyFleetSignature('k', milliseconds, 'body', NOW)).toMatchObject({
      reason: 'timestamp is not Unix seconds',
    });
  });
});

describe('lifecycle callbacks as events', () => {
  it('reads exited with code 0 as success, any other ending as failure, lost as lost', () => {
    expect(callbackToEvent({ agentId: 'a', status: 'exited', eventId: 'e' })).toEqual({
      type: 'agent.exited',
      agentId: 'a',
      outcome: 'succeeded',
    });
    expect(callbackToEvent({ agentId: 'a', status: 'exited', exitCode: 4, eventId: 'e' })).toMatchObject({
      outcome: 'failed',
      exitCode: 4,
    });
    expect(
      callbackToEvent({ agentId: 'a', workItemId: 'w', status: 'failed', reason: 'oom', eventId: 'e' }),
    ).toEqual({ type: 'agent.exited', agentId: 'a', workItemId: 'w', outcome: 'failed', reason: 'oom' });
    expect(callbackToEvent({ agentId: 'a', status: 'lost', eventId: 'e' })).toMatchObject({
      outcome: 'lost',
    });
  });
});
