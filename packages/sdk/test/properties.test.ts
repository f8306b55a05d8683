import { describe, it } from 'vitest';
import { InMemoryStateStore } from '../src/index.ts';
import { checkTwoWriterInvariants } from './support/two-writer-property.ts';

describe('random event sequences with faults keep the invariants', () => {
  it('1 at most one agent per run and attempt; 2 nothing lost; 3 never more than maxInFlight running; 4 tenants apart', async () => {
    await checkTwoWriterInvariants(
      async () => ({ store: new InMemoryStateStore(), tenants: ['tenant-a', 'tenant-b'] }),
      process.env.CI ? 150 : 100,
    );
  }, 120_000);
});
