import { describe, expect, it } from 'vitest';
import { InMemoryStateStore, type StateStore } from '../src/index.ts';
import { describeStateStoreConformance, stateStoreChecks } from '../src/testing/index.ts';

describeStateStoreConformance('InMemoryStateStore', () => new InMemoryStateStore());

/** A store that forgets the condition on create: the kind of bug the suite exists to catch. */
class CreateOverwritesStore extends InMemoryStateStore {
  override async createRecord(
    tenant: string,
    record: Parameters<StateStore['createRecord']>[1],
  ): Promise<boolean> {
    const existing = await this.getRecord(tenant, record.workItemId);
    if (existing) await this.updateRecord(tenant, record, existing.version);
    else await super.createRecord(tenant, record);
    return true;
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

  it('passes every check for the reference store (the checks themselves can pass)', async () => {
    for (const check of stateStoreChecks) await check.run(() => new InMemoryStateStore());
  });
});
