import { env } from 'cloudflare:test';
import type { ConnectionReport } from '@software-factory/sdk';
import { FakeClock } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import { cacheConnections } from '../src/index.ts';
import { freshTenant } from './support/worker-scenario.ts';

const connected: ConnectionReport[] = [
  { provider: 'linear', role: 'intake', status: { state: 'connected', identity: 'bot@acme' } },
];
const revoked: ConnectionReport[] = [
  { provider: 'linear', role: 'intake', status: { state: 'needs-auth', reason: 'token revoked' } },
];

function counted(reports: ConnectionReport[][]) {
  const check = async () => {
    check.calls += 1;
    return reports[Math.min(check.calls, reports.length) - 1] ?? [];
  };
  check.calls = 0;
  return check;
}

describe('cacheConnections keeps connection checks in KV', () => {
  it('answers from KV while fresh, and checks again once the TTL has passed', async () => {
    const clock = new FakeClock();
    const check = counted([connected]);
    const connections = cacheConnections(env.FACTORY_CACHE, freshTenant(), check, { ttlMs: 60_000, clock });
    expect(await connections()).toEqual(connected);
    clock.advance(59_999);
    expect(await connections()).toEqual(connected);
    expect(check.calls).toBe(1);
    clock.advance(1);
    await connections();
    expect(check.calls).toBe(2);
  });

  it('never caches a refusal: a provider reconnected a moment later is used at once', async () => {
    const check = counted([revoked, connected]);
    const connections = cacheConnections(env.FACTORY_CACHE, freshTenant(), check, { clock: new FakeClock() });
    expect(await connections()).toEqual(revoked);
    expect(await connections()).toEqual(connected);
    expect(check.calls).toBe(2);
  });

  it('keeps tenants apart', async () => {
    const clock = new FakeClock();
    const a = counted([connected]);
    const b = counted([revoked]);
    await cacheConnections(env.FACTORY_CACHE, 'same-kv-a', a, { clock })();
    expect(await cacheConnections(env.FACTORY_CACHE, 'same-kv-b', b, { clock })()).toEqual(revoked);
  });

  it('treats an unreadable entry as a miss', async () => {
    const tenant = freshTenant();
    await env.FACTORY_CACHE.put(`factory/v1/${tenant}/connections`, '{"checkedAt": "yesterday"');
    const check = counted([connected]);
    expect(await cacheConnections(env.FACTORY_CACHE, tenant, check)()).toEqual(connected);
    expect(check.calls).toBe(1);
  });

  it('refuses a TTL under one second', () => {
    expect(() => cacheConnections(env.FACTORY_CACHE, 't', counted([connected]), { ttlMs: 10 })).toThrow(
      'ttlMs must be at least 1000, got 10',
    );
  });
});
