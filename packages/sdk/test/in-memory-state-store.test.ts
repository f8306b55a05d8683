import { describe, expect, it } from 'vitest';
import { InMemoryStateStore, type RecordCommit } from '../src/index.ts';
import { describeStateStoreConformance, sampleRecord, stateStoreChecks } from '../src/testing/index.ts';

describeStateStoreConformance('InMemoryStateStore', () => new InMemoryStateStore({ freezeRecords: true }));

/** A store that forgets the condition on create: the kind of bug the suite exists to catch. */
class CreateOverwritesStore extends InMemoryStateStore {
  override async commit(tenant: string, change: RecordCommit): Promise<boolean> {
    if (await super.commit(tenant, change)) return true;
    if (change.record.version !== 1) return false;
    // A create over an existing record overwrites it.
    const existing = await this.getRecord(tenant, change.record.workItemId);
    const version = (existing?.version ?? 0) + 1;
    return super.commit(tenant, { ...change, record: { ...change.record, version } });
  }
}

/** A store that writes the record even when the document's condition fails: not both-or-neither. */
class HalfCommitStore extends InMemoryStateStore {
  override async commit(tenant: string, change: RecordCommit): Promise<boolean> {
    if (await super.commit(tenant, change)) return true;
    const { document: _dropped, ...recordOnly } = change;
    await super.commit(tenant, recordOnly);
    return false;
  }
}

describe('the conformance suite', () => {
  it('catches a store that drops the condition on create', async () => {
    const failures: string[] = [];
    for (const check of stateStoreChecks) {
      await check.run(() => new CreateOverwritesStore()).catch(() => failures.push(check.name));
    }
    expect(failures).toContain('create is conditional: a second create for the same id changes nothing');
    expect(failures.some((name) => name.includes('concurrent creates'))).toBe(true);
  });

  it('catches a store whose commit writes the record when the document is stale', async () => {
    const failures: string[] = [];
    for (const check of stateStoreChecks) {
      await check.run(() => new HalfCommitStore()).catch(() => failures.push(check.name));
    }
    expect(failures.some((name) => name.startsWith('commit is both or neither'))).toBe(true);
  });

  it('passes every check for the reference store (the checks themselves can pass)', async () => {
    for (const check of stateStoreChecks)
      await check.run(() => new InMemoryStateStore({ freezeRecords: true }));
  });
});

/** A store that hands out what it stores as it is: a caller's change would change stored state. */
class SharingStore extends InMemoryStateStore {
  readonly #records = new Map<string, RecordCommit['record']>();
  override async commit(_tenant: string, change: RecordCommit) {
    this.#records.set(change.record.workItemId, change.record);
    return true;
  }
  override async getRecord(_tenant: string, workItemId: string) {
    return this.#records.get(workItemId);
  }
}

describe('records are immutable values in the reference store', () => {
  it('stores the record it is handed as it is, neither frozen nor copied, unless asked to freeze records', async () => {
    const store = new InMemoryStateStore();
    const written = sampleRecord('w-1');
    await store.commit('t', { record: written });
    expect(await store.getRecord('t', 'w-1')).toBe(written);
    expect(Object.isFrozen(written)).toBe(false);
    expect(Object.isFrozen(written.item.labels)).toBe(false);
  });

  it('hands out the stored value itself, frozen (freezeRecords): changing it throws and changes nothing', async () => {
    const store = new InMemoryStateStore({ freezeRecords: true });
    await store.commit('t', { record: sampleRecord('w-1') });
    const first = await store.getRecord('t', 'w-1');
    expect(await store.getRecord('t', 'w-1')).toBe(first);
    expect(() => {
      (first as { status: string }).status = 'done';
    }).toThrow(TypeError);
    expect(() => first?.item.labels.push('x')).toThrow(TypeError);
    expect((await store.getRecord('t', 'w-1'))?.status).toBe('new');
  });

  it('copies only what is not frozen yet: the next version shares what did not change', async () => {
    const store = new InMemoryStateStore({ freezeRecords: true });
    await store.commit('t', { record: sampleRecord('w-1') });
    const stored = await store.getRecord('t', 'w-1');
    if (!stored) throw new Error('record missing');
    await store.commit('t', { record: { ...stored, version: 2, reason: 'next' } });
    const next = await store.getRecord('t', 'w-1');
    expect(next?.reason).toBe('next');
    expect(next?.item).toBe(stored.item);
    expect(next?.history).toBe(stored.history);
  });

  it('stores the record it is given, frozen in place rather than copied (freezeRecords): a version is an immutable value', async () => {
    const store = new InMemoryStateStore({ freezeRecords: true });
    const written = sampleRecord('w-1');
    await store.commit('t', { record: written });
    expect(await store.getRecord('t', 'w-1')).toBe(written);
    expect(Object.isFrozen(written.item.labels)).toBe(true);
    expect(() => written.item.labels.push('changed after the write')).toThrow(TypeError);
  });

  it('freezes nothing when the commit is refused', async () => {
    const store = new InMemoryStateStore({ freezeRecords: true });
    await store.commit('t', { record: sampleRecord('w-1') });
    const refused = sampleRecord('w-1', { version: 3 });
    expect(await store.commit('t', { record: refused })).toBe(false);
    expect(Object.isFrozen(refused)).toBe(false);
  });

  it('copies a document on the way in: its writer may go on changing its own object', async () => {
    const store = new InMemoryStateStore();
    const value = { names: ['a'] };
    await store.putDocument('t', 'd', value, 0);
    value.names.push('b');
    expect((await store.getDocument('t', 'd'))?.value).toEqual({ names: ['a'] });
  });

  it('keeps a dictionary without a prototype (slot holders by id) without one, frozen', async () => {
    const store = new InMemoryStateStore();
    const holders = Object.assign(Object.create(null) as Record<string, number>, { 'w-1#r1a1': 1 });
    await store.putDocument('t', 'd', { slots: { tenant: holders } }, 0);
    const stored = (await store.getDocument('t', 'd'))?.value as {
      slots: { tenant: Record<string, number> };
    };
    expect(Object.getPrototypeOf(stored.slots.tenant)).toBeNull();
    expect(Object.isFrozen(stored.slots.tenant)).toBe(true);
    expect(stored.slots.tenant).toEqual({ 'w-1#r1a1': 1 });
  });

  it('the conformance suite catches a store whose records can be changed from outside', async () => {
    const check = stateStoreChecks.find((entry) => entry.name.startsWith('a record read back cannot change'));
    await expect(check?.run(() => new SharingStore())).rejects.toThrow();
  });
});
