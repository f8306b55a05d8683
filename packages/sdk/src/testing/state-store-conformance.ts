import { describe, expect, it } from 'vitest';
import type { IndexKind, StateStore } from '../ports/state-store.ts';
import { sampleRecord } from './sample-record.ts';

export type StoreFactory = () => StateStore | Promise<StateStore>;

export interface ConformanceCheck {
  name: string;
  run(makeStore: StoreFactory): Promise<void>;
}

/** Fresh tenant ids per check, so a store shared between checks still starts empty for each. */
let tenantCounter = 0;
function tenants(): [string, string] {
  tenantCounter += 1;
  const salt = `${Date.now().toString(36)}-${tenantCounter}-${Math.random().toString(36).slice(2, 8)}`;
  return [`tenant-a-${salt}`, `tenant-b-${salt}`];
}

const CONCURRENCY = 20;

/** Where a lookup leads, through `find`. */
async function leadsTo(store: StateStore, tenant: string, kind: IndexKind, value: string) {
  return (await store.find(tenant, { kind, value }, 'schedule')).workItemId;
}

/** Every behaviour a StateStore must have, as plain checks (so a test can also run them against a broken store). */
export const stateStoreChecks: readonly ConformanceCheck[] = [
  {
    name: 'ping resolves when the store is reachable',
    async run(makeStore) {
      await expect((await makeStore()).ping()).resolves.toBeUndefined();
    },
  },
  {
    name: 'a created record reads back equal, and an unknown id reads as undefined',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      const record = sampleRecord('w-1', { wakeAt: 500, pending: [{ id: 'r1.v1.spawn', kind: 'spawn' }] });
      expect(await store.commit(tenant, { record })).toBe(true);
      expect(await store.getRecord(tenant, 'w-1')).toEqual(record);
      expect(await store.getRecord(tenant, 'w-unknown')).toBeUndefined();
    },
  },
  {
    name: 'create is conditional: a second create for the same id changes nothing',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      const first = sampleRecord('w-1', { reason: 'first' });
      expect(await store.commit(tenant, { record: first })).toBe(true);
      expect(await store.commit(tenant, { record: sampleRecord('w-1', { reason: 'second' }) })).toBe(false);
      expect((await store.getRecord(tenant, 'w-1'))?.reason).toBe('first');
    },
  },
  {
    name: `of ${CONCURRENCY} concurrent creates for one id exactly one wins`,
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, n) =>
          store.commit(tenant, { record: sampleRecord('w-1', { reason: `r${n}` }) }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store.getRecord(tenant, 'w-1'))?.reason).toBe(`r${winner}`);
    },
  },
  {
    name: 'update is compare-and-set on the version',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      await store.commit(tenant, { record: sampleRecord('w-1') });
      const next = sampleRecord('w-1', { version: 2, status: 'dispatched', reason: 'dispatched' });
      expect(await store.commit(tenant, { record: next })).toBe(true);
      expect(await store.getRecord(tenant, 'w-1')).toEqual(next);
      const stale = sampleRecord('w-1', { version: 2, status: 'cancelled', reason: 'stale writer' });
      expect(await store.commit(tenant, { record: stale })).toBe(false);
      expect(await store.getRecord(tenant, 'w-1')).toEqual(next);
    },
  },
  {
    name: 'update of a record that does not exist stores nothing',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      expect(await store.commit(tenant, { record: sampleRecord('w-1', { version: 2 }) })).toBe(false);
      expect(await store.getRecord(tenant, 'w-1')).toBeUndefined();
    },
  },
  {
    name: `of ${CONCURRENCY} concurrent updates from one version exactly one wins`,
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      await store.commit(tenant, { record: sampleRecord('w-1') });
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, n) =>
          store.commit(tenant, { record: sampleRecord('w-1', { version: 2, reason: `writer ${n}` }) }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.getRecord(tenant, 'w-1'))?.reason).toBe(`writer ${results.indexOf(true)}`);
    },
  },
  {
    name: 'a record read back cannot change the store: a copy, or frozen so that changing it throws',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      const written = sampleRecord('w-1');
      await store.commit(tenant, { record: written });
      // Nor can the record the caller wrote, changed after the write.
      if (!Object.isFrozen(written)) written.item.labels.push('changed after the write');
      const read = await store.getRecord(tenant, 'w-1');
      if (!read) throw new Error('record missing');
      const attempt = (change: () => void) => {
        try {
          change();
        } catch (error) {
          if (!(error instanceof TypeError)) throw error;
        }
      };
      attempt(() => {
        read.status = 'done';
      });
      attempt(() => read.item.labels.push('mutated'));
      const again = await store.getRecord(tenant, 'w-1');
      expect(again?.status).toBe('new');
      expect(again?.item.labels).toEqual(['factory']);
    },
  },
  {
    name: 'large records and unicode text round-trip byte for byte',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      const record = sampleRecord('w-1');
      record.item.title = 'Ünïcödé 🚀 — “quotes” \u0000 and a NUL';
      record.item.description = 'x'.repeat(64 * 1024);
      record.item.metadata = { nested: { list: [1, 'two', null, true] } };
      await store.commit(tenant, { record });
      expect(await store.getRecord(tenant, 'w-1')).toEqual(record);
    },
  },
  {
    name: 'listRecords filters by status and pages through every record once, ordered by id',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      const ids = Array.from({ length: 25 }, (_, n) => `w-${String(n).padStart(2, '0')}`);
      for (const [n, id] of ids.entries()) {
        await store.commit(tenant, {
          record: sampleRecord(id, { status: n % 3 === 0 ? 'queued' : 'dispatched' }),
        });
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listRecords(tenant, { limit: 7, ...(cursor ? { cursor } : {}) });
        expect(page.records.length).toBeLessThanOrEqual(7);
        seen.push(...page.records.map((record) => record.workItemId));
        cursor = page.cursor;
      } while (cursor);
      expect(seen).toEqual(ids);
      const queued = await store.listRecords(tenant, { statuses: ['queued'], limit: 100 });
      expect(queued.records.map((record) => record.workItemId)).toEqual(ids.filter((_, n) => n % 3 === 0));
      expect(queued.cursor).toBeUndefined();
      const none = await store.listRecords(tenant, { statuses: ['done'] });
      expect(none.records).toEqual([]);
    },
  },
  {
    name: 'listDue returns records whose wakeAt has come, earliest first, and follows updates',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      await store.commit(tenant, { record: sampleRecord('w-late', { wakeAt: 300 }) });
      await store.commit(tenant, { record: sampleRecord('w-early', { wakeAt: 100 }) });
      await store.commit(tenant, { record: sampleRecord('w-never') });
      await store.commit(tenant, { record: sampleRecord('w-future', { wakeAt: 10_000 }) });
      expect((await store.listDue(tenant, 300, 10)).map((r) => r.workItemId)).toEqual(['w-early', 'w-late']);
      expect((await store.listDue(tenant, 300, 1)).map((r) => r.workItemId)).toEqual(['w-early']);
      expect(await store.listDue(tenant, 99, 10)).toEqual([]);
      const { wakeAt: _dropped, ...rest } = sampleRecord('w-early', { version: 2 });
      await store.commit(tenant, { record: rest });
      expect((await store.listDue(tenant, 300, 10)).map((r) => r.workItemId)).toEqual(['w-late']);
      await store.commit(tenant, { record: sampleRecord('w-future', { version: 2, wakeAt: 50 }) });
      expect((await store.listDue(tenant, 300, 10)).map((r) => r.workItemId)).toEqual(['w-future', 'w-late']);
    },
  },
  {
    name: 'lookups written with a record lead to it, per kind; a later commit can point one elsewhere',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      await store.commit(tenant, {
        record: sampleRecord('w-1'),
        lookups: [{ kind: 'thread', value: 'T-1' }],
      });
      await store.commit(tenant, { record: sampleRecord('w-2'), lookups: [{ kind: 'agent', value: 'T-1' }] });
      expect(await leadsTo(store, tenant, 'thread', 'T-1')).toBe('w-1');
      expect(await leadsTo(store, tenant, 'agent', 'T-1')).toBe('w-2');
      expect(await leadsTo(store, tenant, 'key', 'T-1')).toBeUndefined();
      await store.commit(tenant, {
        record: sampleRecord('w-3'),
        lookups: [{ kind: 'thread', value: 'T-1' }],
      });
      expect(await leadsTo(store, tenant, 'thread', 'T-1')).toBe('w-3');
      expect(await leadsTo(store, tenant, 'agent', 'T-1')).toBe('w-2');
    },
  },
  {
    name: 'find follows a lookup to its record and reads the document with it; a lookup to nowhere finds nothing',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      const record = sampleRecord('w-1', { status: 'waiting-clarification' });
      await store.commit(tenant, {
        record,
        document: { name: 'schedule', value: { queue: [] }, expectedVersion: 0 },
        lookups: [{ kind: 'thread', value: 'T-1' }],
      });
      expect(await store.find(tenant, { kind: 'thread', value: 'T-1' }, 'schedule')).toEqual({
        workItemId: 'w-1',
        record,
        document: { value: { queue: [] }, version: 1 },
      });
      expect(await store.find(tenant, { kind: 'thread', value: 'T-1' }, 'other')).toEqual({
        workItemId: 'w-1',
        record,
        document: undefined,
      });
      expect(await store.find(tenant, { kind: 'agent', value: 'T-1' }, 'schedule')).toEqual({
        workItemId: undefined,
        record: undefined,
        document: undefined,
      });
    },
  },
  {
    name: 'rememberEvent is true once per key until it expires or is forgotten',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      expect((await store.rememberEvent(tenant, 'delivery-1', { now: 1_000, expiresAt: 2_000 })).fresh).toBe(
        true,
      );
      // A live record is left as it was, and says until when it lasts.
      expect(await store.rememberEvent(tenant, 'delivery-1', { now: 1_500, expiresAt: 2_500 })).toEqual({
        fresh: false,
        expiresAt: 2_000,
      });
      expect((await store.rememberEvent(tenant, 'delivery-2', { now: 1_500, expiresAt: 2_500 })).fresh).toBe(
        true,
      );
      // Expired but not yet deleted (as DynamoDB TTL leaves it for hours): treated as absent.
      expect((await store.rememberEvent(tenant, 'delivery-1', { now: 2_000, expiresAt: 3_000 })).fresh).toBe(
        true,
      );
      expect((await store.rememberEvent(tenant, 'delivery-1', { now: 2_999, expiresAt: 4_000 })).fresh).toBe(
        false,
      );
      await store.forgetEvent(tenant, 'delivery-1');
      expect((await store.rememberEvent(tenant, 'delivery-1', { now: 3_000, expiresAt: 4_000 })).fresh).toBe(
        true,
      );
      await store.forgetEvent(tenant, 'never-seen');
    },
  },
  {
    name: 'a commit keeps the delivery keys it carries until their expiry, and a commit that conflicts keeps none',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant, other] = tenants();
      // Claimed briefly while handled; the stored change keeps it for the delivery memory.
      expect((await store.rememberEvent(tenant, 'claimed', { now: 1_000, expiresAt: 1_100 })).fresh).toBe(
        true,
      );
      expect(
        await store.commit(tenant, {
          record: sampleRecord('w-1'),
          deliveries: [
            { key: 'claimed', expiresAt: 9_000 },
            { key: 'never-claimed', expiresAt: 9_000 },
          ],
        }),
      ).toBe(true);
      for (const key of ['claimed', 'never-claimed'])
        expect(await store.rememberEvent(tenant, key, { now: 5_000, expiresAt: 6_000 })).toEqual({
          fresh: false,
          expiresAt: 9_000,
        });
      for (const key of ['claimed', 'never-claimed'])
        expect((await store.rememberEvent(tenant, key, { now: 9_000, expiresAt: 10_000 })).fresh).toBe(true);
      // With a document and lookups too, and only in the committing tenant.
      expect(
        await store.commit(tenant, {
          record: sampleRecord('w-2'),
          document: { name: 'schedule', value: {}, expectedVersion: 0 },
          lookups: [{ kind: 'thread', value: 'T-2' }],
          deliveries: [{ key: 'with-document', expiresAt: 9_000 }],
        }),
      ).toBe(true);
      expect(
        (await store.rememberEvent(tenant, 'with-document', { now: 5_000, expiresAt: 6_000 })).fresh,
      ).toBe(false);
      expect(
        (await store.rememberEvent(other, 'with-document', { now: 5_000, expiresAt: 6_000 })).fresh,
      ).toBe(true);
      // A record or document conflict writes nothing, the keys included.
      expect(
        await store.commit(tenant, {
          record: sampleRecord('w-1'),
          deliveries: [{ key: 'lost-record-race', expiresAt: 9_000 }],
        }),
      ).toBe(false);
      expect(
        await store.commit(tenant, {
          record: sampleRecord('w-3'),
          document: { name: 'schedule', value: {}, expectedVersion: 0 },
          deliveries: [{ key: 'lost-document-race', expiresAt: 9_000 }],
        }),
      ).toBe(false);
      for (const key of ['lost-record-race', 'lost-document-race'])
        expect((await store.rememberEvent(tenant, key, { now: 5_000, expiresAt: 6_000 })).fresh).toBe(true);
    },
  },
  {
    name: 'keepEvent (where a store has it) keeps a key until its expiry, a live claim or none, in the tenant it names',
    async run(makeStore) {
      const store = await makeStore();
      if (!store.keepEvent) return;
      const [tenant, other] = tenants();
      // A claim, made the delivery memory: longer than the claim, whatever the claim said.
      expect((await store.rememberEvent(tenant, 'claimed', { now: 1_000, expiresAt: 1_100 })).fresh).toBe(
        true,
      );
      await store.keepEvent(tenant, 'claimed', 9_000);
      await store.keepEvent(tenant, 'never-claimed', 9_000);
      for (const key of ['claimed', 'never-claimed'])
        expect(await store.rememberEvent(tenant, key, { now: 5_000, expiresAt: 6_000 })).toEqual({
          fresh: false,
          expiresAt: 9_000,
        });
      expect((await store.rememberEvent(other, 'claimed', { now: 5_000, expiresAt: 6_000 })).fresh).toBe(
        true,
      );
      // Kept, then run out or forgotten: fresh again.
      expect((await store.rememberEvent(tenant, 'claimed', { now: 9_000, expiresAt: 10_000 })).fresh).toBe(
        true,
      );
      await store.forgetEvent(tenant, 'never-claimed');
      expect(
        (await store.rememberEvent(tenant, 'never-claimed', { now: 5_000, expiresAt: 6_000 })).fresh,
      ).toBe(true);
    },
  },
  {
    name: "renewEvent moves a live claim on, never a kept key, an expired or forgotten one, or another tenant's",
    async run(makeStore) {
      const store = await makeStore();
      const [tenant, other] = tenants();
      expect((await store.rememberEvent(tenant, 'claimed', { now: 1_000, expiresAt: 2_000 })).fresh).toBe(
        true,
      );
      expect(await store.renewEvent(tenant, 'claimed', { now: 1_500, expiresAt: 2_500 })).toBe(true);
      expect(await store.rememberEvent(tenant, 'claimed', { now: 2_200, expiresAt: 3_200 })).toEqual({
        fresh: false,
        expiresAt: 2_500,
      });
      // Only on to a later end: a kept delivery outlasts any claim and stays kept.
      expect(await store.renewEvent(tenant, 'claimed', { now: 1_600, expiresAt: 2_400 })).toBe(false);
      expect(
        await store.commit(tenant, {
          record: sampleRecord('w-1'),
          deliveries: [{ key: 'kept', expiresAt: 9_000 }],
        }),
      ).toBe(true);
      expect(await store.renewEvent(tenant, 'kept', { now: 2_000, expiresAt: 3_000 })).toBe(false);
      expect(await store.rememberEvent(tenant, 'kept', { now: 5_000, expiresAt: 6_000 })).toEqual({
        fresh: false,
        expiresAt: 9_000,
      });
      // Not in another tenant, not once run out, not once forgotten, not for a key never seen.
      expect(await store.renewEvent(other, 'claimed', { now: 2_000, expiresAt: 3_000 })).toBe(false);
      expect(await store.renewEvent(tenant, 'claimed', { now: 2_500, expiresAt: 3_500 })).toBe(false);
      expect((await store.rememberEvent(tenant, 'claimed', { now: 2_500, expiresAt: 3_500 })).fresh).toBe(
        true,
      );
      await store.forgetEvent(tenant, 'claimed');
      expect(await store.renewEvent(tenant, 'claimed', { now: 2_600, expiresAt: 3_600 })).toBe(false);
      expect(await store.renewEvent(tenant, 'never-seen', { now: 2_600, expiresAt: 3_600 })).toBe(false);
      expect((await store.rememberEvent(tenant, 'claimed', { now: 2_600, expiresAt: 3_600 })).fresh).toBe(
        true,
      );
    },
  },
  {
    name: `of ${CONCURRENCY} concurrent deliveries of one event exactly one is remembered as new`,
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, () =>
          store.rememberEvent(tenant, 'same', { now: 1, expiresAt: 10 }),
        ),
      );
      expect(results.filter((memory) => memory.fresh)).toHaveLength(1);
    },
  },
  {
    name: 'tenant documents are created once and then changed only by compare-and-set on their version',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant, other] = tenants();
      expect(await store.getDocument(tenant, 'breaker')).toBeUndefined();
      expect(await store.putDocument(tenant, 'breaker', { state: 'closed', failures: 0 }, 1)).toBe(false);
      expect(await store.putDocument(tenant, 'breaker', { state: 'closed', failures: 0 }, 0)).toBe(true);
      expect(await store.putDocument(tenant, 'breaker', { state: 'open' }, 0)).toBe(false);
      expect(await store.getDocument(tenant, 'breaker')).toEqual({
        value: { state: 'closed', failures: 0 },
        version: 1,
      });
      expect(await store.putDocument(tenant, 'breaker', { state: 'open', retryAt: 5 }, 1)).toBe(true);
      expect(await store.putDocument(tenant, 'breaker', { state: 'stale' }, 1)).toBe(false);
      expect(await store.getDocument(tenant, 'breaker')).toEqual({
        value: { state: 'open', retryAt: 5 },
        version: 2,
      });
      expect(await store.getDocument(tenant, 'other-name')).toBeUndefined();
      expect(await store.getDocument(other, 'breaker')).toBeUndefined();
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, n) => store.putDocument(tenant, 'breaker', { writer: n }, 2)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.getDocument(tenant, 'breaker'))?.value).toEqual({ writer: results.indexOf(true) });
    },
  },
  {
    name: 'load reads a record and a document together; either may be absent',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      expect(await store.load(tenant, 'w-1', 'schedule')).toEqual({ record: undefined, document: undefined });
      const record = sampleRecord('w-1');
      expect(await store.commit(tenant, { record })).toBe(true);
      expect(await store.load(tenant, 'w-1', 'schedule')).toEqual({ record, document: undefined });
      expect(await store.putDocument(tenant, 'schedule', { queue: ['w-1'] }, 0)).toBe(true);
      expect(await store.load(tenant, 'w-1', 'schedule')).toEqual({
        record,
        document: { value: { queue: ['w-1'] }, version: 1 },
      });
      expect(await store.load(tenant, 'w-2', 'schedule')).toEqual({
        record: undefined,
        document: { value: { queue: ['w-1'] }, version: 1 },
      });
    },
  },
  {
    name: 'commit writes a record, a document and lookups in one step, each under its own condition',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      const first = sampleRecord('w-1', { status: 'queued' });
      expect(
        await store.commit(tenant, {
          record: first,
          document: { name: 'schedule', value: { queue: ['w-1'] }, expectedVersion: 0 },
          lookups: [{ kind: 'key', value: 'ENG-1' }],
        }),
      ).toBe(true);
      expect(await store.getRecord(tenant, 'w-1')).toEqual(first);
      expect(await store.getDocument(tenant, 'schedule')).toEqual({ value: { queue: ['w-1'] }, version: 1 });
      expect(await leadsTo(store, tenant, 'key', 'ENG-1')).toBe('w-1');
      // Version 1 creates only; a later version replaces only the version before it.
      expect(await store.commit(tenant, { record: sampleRecord('w-1', { reason: 'again' }) })).toBe(false);
      expect(await store.commit(tenant, { record: sampleRecord('w-1', { version: 3 }) })).toBe(false);
      const second = sampleRecord('w-1', { version: 2, status: 'dispatched' });
      expect(
        await store.commit(tenant, {
          record: second,
          document: { name: 'schedule', value: { queue: [] }, expectedVersion: 1 },
          lookups: [
            { kind: 'agent', value: 'agent-1' },
            { kind: 'thread', value: 'T-1' },
          ],
        }),
      ).toBe(true);
      expect(await store.getRecord(tenant, 'w-1')).toEqual(second);
      expect(await store.getDocument(tenant, 'schedule')).toEqual({ value: { queue: [] }, version: 2 });
      expect(await leadsTo(store, tenant, 'agent', 'agent-1')).toBe('w-1');
      expect(await leadsTo(store, tenant, 'thread', 'T-1')).toBe('w-1');
      // A record alone leaves the document as it is.
      expect(await store.commit(tenant, { record: sampleRecord('w-1', { version: 3 }) })).toBe(true);
      expect((await store.getDocument(tenant, 'schedule'))?.version).toBe(2);
    },
  },
  {
    name: 'commit is both or neither: a failed condition on either part writes nothing of the other',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      await store.commit(tenant, {
        record: sampleRecord('w-1'),
        document: { name: 'schedule', value: { v: 1 }, expectedVersion: 0 },
      });
      // The record's version is right, the document's is stale: the record stays as it was.
      expect(
        await store.commit(tenant, {
          record: sampleRecord('w-1', { version: 2, reason: 'lost' }),
          document: { name: 'schedule', value: { v: 'lost' }, expectedVersion: 0 },
          lookups: [{ kind: 'thread', value: 'T-lost' }],
        }),
      ).toBe(false);
      // The document's version is right, the record's is stale: the document stays as it was.
      expect(
        await store.commit(tenant, {
          record: sampleRecord('w-1', { version: 5, reason: 'lost' }),
          document: { name: 'schedule', value: { v: 'lost' }, expectedVersion: 1 },
          lookups: [{ kind: 'thread', value: 'T-lost' }],
        }),
      ).toBe(false);
      // A create over an existing record writes no document either.
      expect(
        await store.commit(tenant, {
          record: sampleRecord('w-1', { reason: 'lost' }),
          document: { name: 'schedule', value: { v: 'lost' }, expectedVersion: 1 },
        }),
      ).toBe(false);
      expect((await store.getRecord(tenant, 'w-1'))?.reason).toBe('created');
      expect(await store.getDocument(tenant, 'schedule')).toEqual({ value: { v: 1 }, version: 1 });
      expect(await leadsTo(store, tenant, 'thread', 'T-lost')).toBeUndefined();
      // A document to create that exists already: the new record is not created.
      expect(
        await store.commit(tenant, {
          record: sampleRecord('w-2'),
          document: { name: 'schedule', value: { v: 'lost' }, expectedVersion: 0 },
        }),
      ).toBe(false);
      expect(await store.getRecord(tenant, 'w-2')).toBeUndefined();
    },
  },
  {
    name: `of ${CONCURRENCY} concurrent commits of different records over one document version exactly one lands`,
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      await store.putDocument(tenant, 'schedule', { holders: [] }, 0);
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, n) =>
          store.commit(tenant, {
            record: sampleRecord(`w-${n}`),
            document: { name: 'schedule', value: { holders: [`w-${n}`] }, expectedVersion: 1 },
          }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.getDocument(tenant, 'schedule')).toEqual({
        value: { holders: [`w-${winner}`] },
        version: 2,
      });
      const stored = (await store.listRecords(tenant)).records.map((record) => record.workItemId);
      expect(stored).toEqual([`w-${winner}`]);
    },
  },
  {
    name: 'a commit of a record whose version is not a whole number of at least 1 is refused and writes nothing',
    async run(makeStore) {
      const store = await makeStore();
      const [tenant] = tenants();
      for (const version of [0, -1, 1.5, Number.NaN]) {
        await expect(store.commit(tenant, { record: sampleRecord('w-1', { version }) })).rejects.toThrow(
          /version/,
        );
      }
      expect(await store.getRecord(tenant, 'w-1')).toBeUndefined();
    },
  },
  {
    name: 'two tenants with the same ids never see or change each other',
    async run(makeStore) {
      const store = await makeStore();
      const [a, b] = tenants();
      await store.commit(a, { record: sampleRecord('w-1', { reason: 'tenant a', wakeAt: 1 }) });
      expect(await store.getRecord(b, 'w-1')).toBeUndefined();
      expect(await store.commit(b, { record: sampleRecord('w-1', { reason: 'tenant b' }) })).toBe(true);
      expect(await store.commit(b, { record: sampleRecord('w-1', { version: 2, reason: 'b again' }) })).toBe(
        true,
      );
      expect((await store.getRecord(a, 'w-1'))?.reason).toBe('tenant a');
      expect((await store.listRecords(b)).records.map((r) => r.reason)).toEqual(['b again']);
      expect(await store.listDue(b, 10, 10)).toEqual([]);

      await store.commit(a, {
        record: sampleRecord('w-2'),
        document: { name: 'schedule', value: { tenant: 'a' }, expectedVersion: 0 },
        lookups: [{ kind: 'agent', value: 'agent-a' }],
      });
      expect(await store.load(b, 'w-2', 'schedule')).toEqual({ record: undefined, document: undefined });
      expect(await leadsTo(store, b, 'agent', 'agent-a')).toBeUndefined();
      expect(await store.commit(b, { record: sampleRecord('w-2', { version: 2 }) })).toBe(false);
      expect(await store.putDocument(b, 'schedule', { tenant: 'b' }, 0)).toBe(true);
      expect((await store.getDocument(a, 'schedule'))?.value).toEqual({ tenant: 'a' });

      expect((await store.rememberEvent(a, 'e-1', { now: 1, expiresAt: 10 })).fresh).toBe(true);
      expect((await store.rememberEvent(b, 'e-1', { now: 1, expiresAt: 10 })).fresh).toBe(true);
    },
  },
];

/**
 * Registers the StateStore conformance suite. Every store runs it unchanged:
 *
 *   describeStateStoreConformance('SqliteStateStore', () => new SqliteStateStore(':memory:'));
 */
export function describeStateStoreConformance(name: string, makeStore: StoreFactory): void {
  describe(`${name} conforms to StateStore`, () => {
    for (const check of stateStoreChecks) {
      it(check.name, () => check.run(makeStore));
    }
  });
}
