import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { slotsIn } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import { freshTenant, workerScenario } from './support/worker-scenario.ts';

describe('the Worker, end to end inside workerd', () => {
  it('takes a signed work item in, spawns one agent, and marks the item done when its PR is ready', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant }]);
    const h = await scenario.harness(tenant);
    const item = h.clearItem('item-1');

    const changed = await scenario.deliver(tenant, 'delivery-1', [h.changed(item)]);
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({
      status: 'processed',
      results: [{ event: 'work-item.changed', outcome: 'changed', workItemId: 'item-1' }],
    });
    expect(h.fleet.spawnCalls).toBe(1);
    const [agentId] = h.fleet.agentsFor('item-1');
    const dispatched = await scenario.store.getRecord(tenant, 'item-1');
    expect(dispatched?.status).toBe('dispatched');
    expect(dispatched?.dispatch?.agentId).toBe(agentId);

    h.clock.advance(60_000);
    const ready = await scenario.deliver(tenant, 'delivery-2', [h.output(item, 'ready')]);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'processed', results: [{ outcome: 'changed' }] });

    const done = await scenario.store.getRecord(tenant, 'item-1');
    expect(done?.status).toBe('done');
    expect(done?.output).toMatchObject({ id: 'acme/app#1', state: 'ready' });
    expect(h.tracker.states.map((write) => write.state)).toEqual(['dispatched', 'done']);
    expect(h.fleet.agents.get(agentId ?? '')?.released).toBe(true);
    expect(await slotsIn(scenario.store, tenant, 'tenant')).toEqual([]);
  });

  it('asks in a thread when an item is vague, and dispatches once the answer arrives', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant }]);
    const h = await scenario.harness(tenant);
    const item = h.vagueItem('item-7');

    await scenario.deliver(tenant, 'delivery-1', [h.changed(item)]);
    expect((await scenario.store.getRecord(tenant, 'item-7'))?.status).toBe('waiting-clarification');
    const threadId = h.chat.threadFor('item-7');
    expect(threadId).toBeDefined();
    expect(h.fleet.spawnCalls).toBe(0);

    h.clock.advance(60_000);
    const replied = await scenario.deliver(tenant, 'delivery-2', [
      {
        type: 'clarification.replied',
        threadId: threadId ?? '',
        messageId: 'm-1',
        author: { id: 'pm', trusted: true, reason: 'a member of the channel' },
        text: 'The export command should accept --json and print the rows as a JSON array; keep the table as is.',
      },
    ]);
    expect(replied.status).toBe(200);
    expect((await scenario.store.getRecord(tenant, 'item-7'))?.status).toBe('dispatched');
    expect(h.fleet.spawnCalls).toBe(1);
  });

  it('answers a redelivery with the same delivery id as a duplicate and spawns nothing more', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant }]);
    const h = await scenario.harness(tenant);
    const event = h.changed(h.clearItem('item-1'));

    expect((await scenario.deliver(tenant, 'delivery-1', [event])).status).toBe(200);
    const again = await scenario.deliver(tenant, 'delivery-1', [event]);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate', deliveryId: 'delivery-1' });
    expect(h.fleet.spawnCalls).toBe(1);
  });

  it('serialises 20 concurrent deliveries of one work item event through the tenant object: exactly one spawn', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant }]);
    const h = await scenario.harness(tenant);
    const event = h.changed(h.clearItem('item-1'));

    // Ten redeliveries keep the sender's delivery id, ten carry new ones (as a tracker's retry may).
    const requests = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        scenario.signedRequest(tenant, n < 10 ? 'delivery-same' : `delivery-${n}`, [event]),
      ),
    );
    const responses = await Promise.all(requests.map((request) => scenario.fetch(request)));

    // A copy that arrives while another is handled is asked to come back (503); the rest are answered 200.
    for (const response of responses)
      if (response.status !== 200) {
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({ error: expect.stringMatching(/being handled/) });
      }
    expect(h.fleet.spawnCalls).toBe(1);
    expect(h.fleet.agents.size).toBe(1);
    const record = await scenario.store.getRecord(tenant, 'item-1');
    expect(record?.status).toBe('dispatched');
    expect(record?.attempts).toBe(1);
    expect(await slotsIn(scenario.store, tenant, 'tenant')).toHaveLength(1);
    expect(h.tracker.states).toHaveLength(1);
  });

  it('keeps tenants apart: the same item id in two tenants is two items', async () => {
    const [a, b] = [freshTenant('team-a'), freshTenant('team-b')];
    const scenario = workerScenario([{ id: a }, { id: b }]);
    const [ha, hb] = [await scenario.harness(a), await scenario.harness(b)];

    await scenario.deliver(a, 'delivery-1', [ha.changed(ha.clearItem('item-1'))]);
    expect((await scenario.store.getRecord(a, 'item-1'))?.status).toBe('dispatched');
    expect(await scenario.store.getRecord(b, 'item-1')).toBeUndefined();

    // The same delivery id at the other tenant is a different delivery, not a duplicate.
    const other = await scenario.deliver(b, 'delivery-1', [hb.changed(hb.clearItem('item-1'))]);
    expect(await other.json()).toMatchObject({ status: 'processed' });
    expect(ha.fleet.spawnCalls).toBe(1);
    expect(hb.fleet.spawnCalls).toBe(1);
  });
});

describe('the operator views through the Worker', () => {
  it("count what this isolate handled, behind the tenant's admin token", async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant, adminToken: 'admin-token-for-the-worker-tests-0001' }]);
    const h = await scenario.harness(tenant);
    await scenario.deliver(tenant, 'delivery-1', [h.changed(h.clearItem('item-1'))]);

    const refused = await scenario.fetch(new Request(`https://factory.example/t/${tenant}/metrics`));
    expect(refused.status).toBe(401);
    const metrics = await scenario.fetch(
      new Request(`https://factory.example/t/${tenant}/metrics`, {
        headers: { authorization: 'Bearer admin-token-for-the-worker-tests-0001' },
      }),
    );
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/factory_events_total\{[^}]*event="work-item\.changed"[^}]*\} 1/);
  });
});

describe('answering within the sender deadline', () => {
  it('answers "accepted" and finishes the work in ctx.waitUntil', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant, answerWithinMs: 0 }]);
    const h = await scenario.harness(tenant);
    // The fleet answers only when the test lets it: the handler is still busy when the deadline passes.
    let letSpawn = () => {};
    const gate = new Promise<void>((resolve) => {
      letSpawn = resolve;
    });
    const spawn = h.fleet.spawn.bind(h.fleet);
    h.fleet.spawn = async (request) => {
      await gate;
      return spawn(request);
    };

    const ctx = createExecutionContext();
    const request = await scenario.signedRequest(tenant, 'delivery-1', [h.changed(h.clearItem('item-1'))]);
    const response = await scenario.worker.fetch(
      request as Request<unknown, IncomingRequestCfProperties>,
      env,
      ctx,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'accepted' });
    expect(h.fleet.spawnCalls).toBe(0);

    letSpawn();
    await waitOnExecutionContext(ctx);
    expect(h.fleet.spawnCalls).toBe(1);
    expect((await scenario.store.getRecord(tenant, 'item-1'))?.status).toBe('dispatched');
  });
});
