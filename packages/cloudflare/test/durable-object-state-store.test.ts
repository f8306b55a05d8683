import { env } from 'cloudflare:test';
import { FaultInjector, sampleRecord } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import { DurableObjectStateStore, KvIndexCache } from '../src/index.ts';
import { freshTenant, workerScenario } from './support/worker-scenario.ts';

const MiB = 1024 * 1024;
const objectOnly = () => new DurableObjectStateStore(env.FACTORY_STATE);
const withCache = (kv: KVNamespace = env.FACTORY_CACHE) =>
  new DurableObjectStateStore(env.FACTORY_STATE, { indexCache: new KvIndexCache(kv) });
/** The KV cache alone: what it holds whatever the object says. */
const kvOnly = () => new KvIndexCache(env.FACTORY_CACHE);
/** Where a lookup leads, through `find`. */
const leadsTo = async (
  store: DurableObjectStateStore,
  tenant: string,
  kind: 'thread' | 'agent' | 'key',
  value: string,
) => (await store.find(tenant, { kind, value }, 'schedule')).workItemId;
/** A record committed with lookups that lead to it. */
const withLookups = (
  workItemId: string,
  ...lookups: { kind: 'thread' | 'agent' | 'key'; value: string }[]
) => ({
  record: sampleRecord(workItemId),
  lookups,
});

describe('DurableObjectStateStore beyond the conformance suite', () => {
  it('stores a record larger than a SQLite row (2 MB) and replaces it with a smaller one', async () => {
    const store = objectOnly();
    const tenant = freshTenant();
    const large = sampleRecord('w-1');
    large.item.description = `🚀${'é'.repeat(3 * MiB)}🚀`;
    expect(await store.commit(tenant, { record: large })).toBe(true);
    expect(await store.getRecord(tenant, 'w-1')).toEqual(large);

    const small = sampleRecord('w-1', { version: 2, reason: 'trimmed' });
    expect(await store.commit(tenant, { record: small })).toBe(true);
    expect(await store.getRecord(tenant, 'w-1')).toEqual(small);
  });

  it('pages through large records in several answers, each kept small, losing none', async () => {
    const store = objectOnly();
    const tenant = freshTenant();
    const ids = Array.from({ length: 8 }, (_, n) => `w-${n}`);
    for (const id of ids) {
      const record = sampleRecord(id);
      record.item.description = 'x'.repeat(1.5 * MiB);
      await store.commit(tenant, { record });
    }
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listRecords(tenant, { limit: 100, ...(cursor ? { cursor } : {}) });
      pages.push(page.records.map((record) => record.workItemId));
      cursor = page.cursor;
    } while (cursor);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flat()).toEqual(ids);
  });

  it('rejects a call without a tenant before reaching any object', async () => {
    await expect(objectOnly().getRecord('', 'w-1')).rejects.toThrow('a tenant id is required');
  });
});

describe('the KV lookup cache', () => {
  it('writes thread and agent lookups to KV with the commit, and serves them from KV without asking the object', async () => {
    const tenant = freshTenant();
    await withCache().commit(
      tenant,
      withLookups('w-1', { kind: 'thread', value: 'T-1' }, { kind: 'agent', value: 'agent-1' }),
    );
    expect(await kvOnly().get(tenant, 'thread', 'T-1')).toBe('w-1');
    expect(await kvOnly().get(tenant, 'agent', 'agent-1')).toBe('w-1');
    // Entries only KV knows: the object is not asked.
    await kvOnly().put(tenant, 'thread', 'T-2', 'w-1');
    await kvOnly().put(tenant, 'agent', 'agent-2', 'w-1');

    expect(await leadsTo(withCache(), tenant, 'thread', 'T-2')).toBe('w-1');
    expect(await leadsTo(withCache(), tenant, 'agent', 'agent-2')).toBe('w-1');
    expect(await leadsTo(objectOnly(), tenant, 'thread', 'T-2')).toBeUndefined();
  });

  it('serves what the object holds when KV has nothing', async () => {
    const tenant = freshTenant();
    await objectOnly().commit(tenant, withLookups('w-1', { kind: 'thread', value: 'T-1' }));
    expect(await leadsTo(withCache(), tenant, 'thread', 'T-1')).toBe('w-1');
  });

  it('never serves work item keys from KV: a key can move to another item', async () => {
    const tenant = freshTenant();
    await withCache().commit(tenant, withLookups('w-1', { kind: 'key', value: 'ENG-1' }));
    expect(await kvOnly().get(tenant, 'key', 'ENG-1')).toBeUndefined();
    await objectOnly().commit(tenant, withLookups('w-2', { kind: 'key', value: 'ENG-1' }));
    expect(await leadsTo(withCache(), tenant, 'key', 'ENG-1')).toBe('w-2');
  });

  it('fills KV on a miss the object answers', async () => {
    const tenant = freshTenant();
    await objectOnly().commit(tenant, withLookups('w-1', { kind: 'thread', value: 'T-1' }));
    expect(await kvOnly().get(tenant, 'thread', 'T-1')).toBeUndefined();
    expect(await leadsTo(withCache(), tenant, 'thread', 'T-1')).toBe('w-1');
    expect(await kvOnly().get(tenant, 'thread', 'T-1')).toBe('w-1');
  });

  it('falls back to the object when KV fails', async () => {
    const tenant = freshTenant();
    const faults = new FaultInjector();
    const store = withCache(faults.wrap('kv', env.FACTORY_CACHE));
    await objectOnly().commit(tenant, withLookups('w-1', { kind: 'thread', value: 'T-1' }));
    faults.failAt(1, 'before');
    expect(await leadsTo(store, tenant, 'thread', 'T-1')).toBe('w-1');
    expect(faults.log[0]).toBe('kv.get');

    faults.failAt(1, 'before'); // the KV write after the object's
    expect(await store.commit(tenant, withLookups('w-2', { kind: 'agent', value: 'agent-1' }))).toBe(true);
    expect(faults.log.at(-1)).toBe('kv.put');
    expect(await leadsTo(objectOnly(), tenant, 'agent', 'agent-1')).toBe('w-2');
  });

  it('keeps lookups of different tenants apart in KV', async () => {
    const [a, b] = [freshTenant('a'), freshTenant('b')];
    await withCache().commit(a, withLookups('w-a', { kind: 'thread', value: 'T-1' }));
    expect(await leadsTo(withCache(), b, 'thread', 'T-1')).toBeUndefined();
  });

  it('a stale thread entry in KV cannot start work: the object-held record decides', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant }]);
    const h = await scenario.harness(tenant);
    await scenario.deliver(tenant, 'delivery-1', [h.changed(h.vagueItem('item-1'))]);
    await scenario.deliver(tenant, 'delivery-2', [h.changed(h.vagueItem('item-2'))]);
    // A cached mapping that disagrees with the object: thread T-stale "belongs" to item-2.
    await kvOnly().put(tenant, 'thread', 'T-stale', 'item-2');

    const reply = await scenario.deliver(tenant, 'delivery-3', [
      {
        type: 'clarification.replied',
        threadId: 'T-stale',
        messageId: 'm-1',
        author: { id: 'someone', trusted: true, reason: 'a member of the channel' },
        text: 'Add a --json flag to the export command that prints the rows as a JSON array.',
      },
    ]);
    expect(await reply.json()).toMatchObject({ results: [{ outcome: 'ignored' }] });
    expect((await scenario.store.getRecord(tenant, 'item-2'))?.status).toBe('waiting-clarification');
    expect(h.fleet.spawnCalls).toBe(0);
  });

  it('refuses a TTL KV would not accept', () => {
    expect(() => new KvIndexCache(env.FACTORY_CACHE, { ttlSeconds: 30 })).toThrow(
      'ttlSeconds must be a whole number of at least 60, got 30',
    );
    expect(() => new KvIndexCache(env.FACTORY_CACHE, { ttlSeconds: 90.5 })).toThrow(RangeError);
  });
});
