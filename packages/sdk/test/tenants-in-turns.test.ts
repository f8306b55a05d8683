import { describe, expect, it } from 'vitest';
import type { ConnectionReport, TenantRegistry, TenantRuntime } from '../src/index.ts';
import { forEachTenant, inTurns, TENANTS_AT_ONCE } from '../src/ingress/in-turns.ts';
import { StaticTenantRegistry } from '../src/ingress/tenants.ts';
import { TICK_CONCURRENCY, tickAll } from '../src/ingress/tick.ts';
import { FactoryHarness } from '../src/testing/index.ts';

/** Lets other work run for `turns` turns of the event loop. */
async function turns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Counts the calls in hand at once. */
function inHandCounter() {
  let inHand = 0;
  let most = 0;
  return {
    async during<T>(work: () => Promise<T>): Promise<T> {
      inHand += 1;
      most = Math.max(most, inHand);
      try {
        return await work();
      } finally {
        inHand -= 1;
      }
    },
    most: () => most,
  };
}

const CONNECTED: ConnectionReport[] = [
  { provider: 'linear', role: 'intake', status: { state: 'connected', identity: 'bot' } },
];

function tenant(id: string, connections: () => Promise<ConnectionReport[]>): TenantRuntime {
  return { id, factory: new FactoryHarness({ tenant: id }).factory, sources: new Map(), connections };
}

describe('inTurns: work for every item, a few at a time', () => {
  it("gives the results in the items' order, whatever order the work finishes in", async () => {
    const items = [1, 2, 3, 4, 5, 6, 7];
    // The first item takes longest, the last finishes first.
    const results = await inTurns(items, 3, async (item) => {
      await turns(10 - item);
      return item * 10;
    });
    expect(results).toEqual([10, 20, 30, 40, 50, 60, 70]);
  });

  it('has at most `limit` items in hand at once, and all of them done', async () => {
    const counter = inHandCounter();
    const done: number[] = [];
    await inTurns([...Array(20).keys()], 4, (item) =>
      counter.during(async () => {
        await turns(1 + (item % 3));
        done.push(item);
      }),
    );
    expect(counter.most()).toBe(4);
    expect(done.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('answers with the first failure, and starts no item after it', async () => {
    const started: number[] = [];
    await expect(
      inTurns([...Array(10).keys()], 2, async (item) => {
        started.push(item);
        await turns(1);
        if (item === 1) throw new Error('item 1 failed');
      }),
    ).rejects.toThrow('item 1 failed');
    await turns(5);
    // Items 0 and 1 were in hand; 0 finished first and took item 2; then 1 failed.
    expect(started).toEqual([0, 1, 2]);
  });

  it('refuses a limit that is not a whole number of at least 1, and calls nothing for no items', async () => {
    for (const limit of [0, -1, 1.5, Number.NaN])
      await expect(inTurns([1], limit, async () => 1)).rejects.toThrow(
        `inTurns: limit must be a whole number of at least 1, got ${limit}`,
      );
    let called = false;
    expect(
      await inTurns([], 3, async () => {
        called = true;
      }),
    ).toEqual([]);
    expect(called).toBe(false);
  });
});

describe('tickAll: every tenant ticked, a few at a time', () => {
  it(`ticks ${TICK_CONCURRENCY} tenants at once at most, the outcomes in the registry's order`, async () => {
    const counter = inHandCounter();
    const ids = Array.from({ length: 20 }, (_, index) => `tenant-${index}`);
    const registry = new StaticTenantRegistry(
      ids.map((id, index) =>
        tenant(id, () =>
          counter.during(async () => {
            await turns(1 + (index % 4));
            return CONNECTED;
          }),
        ),
      ),
    );
    const outcomes = await tickAll(registry);
    expect(outcomes.map((outcome) => outcome.tenant)).toEqual(ids);
    for (const outcome of outcomes) expect(outcome.result?.event).toBe('tick');
    expect(counter.most()).toBe(TICK_CONCURRENCY);
  });

  it('refuses a tenant not connected, reports one whose tick fails, and ticks the others', async () => {
    const registry = new StaticTenantRegistry([
      tenant('unconnected', async () => [
        { provider: 'linear', role: 'intake', status: { state: 'needs-auth', reason: 'no token' } },
      ]),
      tenant('failing', async () => {
        throw new Error('the credential store is down');
      }),
      tenant('fine', async () => CONNECTED),
    ]);
    const outcomes = await tickAll(registry);
    expect(outcomes.map(({ tenant: id, refused, error }) => ({ id, refused, error }))).toEqual([
      { id: 'unconnected', refused: expect.stringContaining('not processing work'), error: undefined },
      { id: 'failing', refused: undefined, error: 'the credential store is down' },
      { id: 'fine', refused: undefined, error: undefined },
    ]);
    expect(outcomes[2]?.result?.event).toBe('tick');
  });
});

describe('forEachTenant: what a deployment-wide view reads of every tenant', () => {
  it(`reads ${TENANTS_AT_ONCE} tenants at once at most, in the registry's order, skipping one it no longer has`, async () => {
    const counter = inHandCounter();
    const ids = Array.from({ length: 12 }, (_, index) => `tenant-${index}`);
    const kept = new StaticTenantRegistry(ids.map((id) => tenant(id, async () => CONNECTED)));
    // The listing still names tenant-3, which has been removed when its turn comes.
    const registry: TenantRegistry = {
      list: () => kept.list(),
      get: async (id) => (id === 'tenant-3' ? undefined : kept.get(id)),
    };
    const read = await forEachTenant(registry, (found) =>
      counter.during(async () => {
        await turns(2);
        return found.id;
      }),
    );
    expect(read).toEqual(ids.filter((id) => id !== 'tenant-3'));
    expect(counter.most()).toBe(TENANTS_AT_ONCE);
  });
});
