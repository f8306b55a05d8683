import { FakeClock } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoInstanceScenarios } from '../../sdk/test/support/two-instance-scenarios.ts';
import { DynamoStateStore } from '../src/dynamo-state-store.ts';
import { deployInstance, WEBHOOK_SECRET } from './support/deployment.ts';
import { asFunctionUrlEvent, asHttpApiEvent } from './support/lambda-events.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';
import { signTestWebhook } from './support/signed-test-source.ts';

let dynamo: LocalDynamo;
let tableName: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable();
});
afterAll(() => dynamo.close());

describe('two Lambda instances on one table behave as one', () => {
  it('the same work item delivered 20 times at once, across both, spawns exactly one agent', async () => {
    const clock = new FakeClock();
    // Each instance has its own SDK client, store, factory and fleet: only the table is shared, so
    // only the table's conditional writes can keep them from both dispatching.
    const one = deployInstance({ dynamo, tableName, clock, tenants: [{ id: 'race' }] });
    const two = deployInstance({ dynamo, tableName, clock, tenants: [{ id: 'race' }] });
    const item = one.harness('race').clearItem('item-1');
    two.harness('race').tracker.items.set(item.id, item);

    const deliveries = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        // Half reuse one delivery id (a sender's redelivery), half carry new ones (a Linear-style retry).
        const body = JSON.stringify({ deliveryId: n % 2 ? 'delivery-same' : `delivery-${n}`, item });
        const headers = await signTestWebhook(WEBHOOK_SECRET, body, clock.now());
        const wrap = n % 4 < 2 ? asHttpApiEvent : asFunctionUrlEvent;
        return {
          instance: n % 2 ? two : one,
          event: wrap({ method: 'POST', path: '/t/race/webhooks/test', headers, body }),
        };
      }),
    );
    const results = await Promise.all(deliveries.map(({ instance, event }) => instance.handlers.http(event)));

    // A copy that arrives while another is handled is asked to come back (503); a later one is a duplicate.
    const answers = results.map((result) => ({
      status: result.statusCode,
      body: JSON.parse(result.body) as { status?: string; error?: string },
    }));
    for (const answer of answers)
      if (answer.status !== 200)
        expect(answer).toMatchObject({
          status: 503,
          body: { error: expect.stringMatching(/being handled/) },
        });
    const fleets = [one.harness('race').fleet, two.harness('race').fleet];
    expect(fleets.reduce((agents, fleet) => agents + fleet.agents.size, 0)).toBe(1);
    expect(fleets.reduce((calls, fleet) => calls + fleet.spawnCalls, 0)).toBe(1);
    const record = await one.store.getRecord('race', 'item-1');
    expect(record?.status).toBe('dispatched');
    expect(record?.history.filter((entry) => entry.to === 'dispatched')).toHaveLength(1);
    const repeats = answers.filter((answer) => answer.status === 503 || answer.body.status === 'duplicate');
    expect(repeats.length).toBeGreaterThanOrEqual(9);
  });
});

describe("the core's two-instance scenarios on DynamoStateStore", () => {
  // Each store object has its own SDK client on the same table.
  twoInstanceScenarios(() => new DynamoStateStore({ tableName, client: dynamo.client() }));
});
