import { describe, expect, it } from 'vitest';
import { InMemoryStateStore } from '../src/index.ts';
import { DEFAULT_TEST_SETTINGS, FactoryHarness, slotsIn } from '../src/testing/index.ts';

/** The in-memory store, counting its listings. */
class ListingCounter extends InMemoryStateStore {
  listings = 0;
  override async listRecords(...args: Parameters<InMemoryStateStore['listRecords']>) {
    this.listings += 1;
    return super.listRecords(...args);
  }
}

describe('a tenant without a schedule document', () => {
  it('lists its records once and keeps the schedule it built, even when nothing it hears is ever stored', async () => {
    const store = new ListingCounter({ freezeRecords: true });
    const h = new FactoryHarness({ store });
    for (const id of ['w-1', 'w-2', 'w-3']) {
      const result = await h.factory.handle(h.changed(h.clearItem(id, { state: 'backlog' })));
      expect(result.outcome).toBe('ignored');
    }
    expect(store.listings).toBe(1);
    expect((await store.getDocument(h.tenant, 'schedule'))?.version).toBe(1);
  });

  it('builds it from the records stored before it existed, so a slot a record holds stays held', async () => {
    const settings = { ...DEFAULT_TEST_SETTINGS, limits: { maxInFlight: 1 } };
    const before = new FactoryHarness({ settings });
    await before.factory.handle(before.changed(before.clearItem('w-1')));
    const dispatched = await before.record('w-1');
    expect(dispatched?.status).toBe('dispatched');
    // A store holding that record but no schedule, as one written before the schedule existed.
    const store = new ListingCounter({ freezeRecords: true });
    if (!dispatched) throw new Error('w-1 was not stored');
    await store.commit(before.tenant, { record: { ...dispatched, version: 1 } });
    const h = new FactoryHarness({ store, settings });
    await h.factory.handle(h.changed(h.clearItem('w-2')));
    expect((await h.record('w-2'))?.status).toBe('queued');
    expect((await slotsIn(store, h.tenant, 'tenant')).map((slot) => slot.holder)).toEqual([
      dispatched.dispatch?.slotHolder,
    ]);
    expect(store.listings).toBe(1);
  });
});
