import { describe, it } from 'vitest';
import { InMemoryStateStore } from '../src/index.ts';
import { checkTwoWriterInvariants, PROPERTY_RUNS } from './support/two-writer-property.ts';

describe.each(PROPERTY_RUNS)(
  'random event sequences with faults keep the invariants (completion.on: $completion, from $start items)',
  (run) => {
    it('1 at most one agent per run and attempt, and per item at once; 2 nothing lost; 3 never more than maxInFlight running; 4 tenants apart', async () => {
      await checkTwoWriterInvariants(
        async () => ({
          store: new InMemoryStateStore({ freezeRecords: true }),
          tenants: ['tenant-a', 'tenant-b'],
        }),
        process.env.CI ? 150 : 100,
        run,
      );
    }, 120_000);
  },
);
