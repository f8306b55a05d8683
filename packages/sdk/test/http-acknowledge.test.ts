import { describe, expect, it } from 'vitest';
import {
  createFactoryApp,
  type DeliveryReceipt,
  StaticTenantRegistry,
  type WebhookInterpretation,
} from '../src/index.ts';
import { FactoryHarness, MemoryLogger, TestWebhookSource } from '../src/testing/index.ts';

const SECRET = 'test-secret';

/** One tenant whose webhook source acknowledges deliveries as `acknowledge` says. */
function setup(
  acknowledge: (interpretation: WebhookInterpretation, receipt: DeliveryReceipt) => Promise<void>,
  publicUrl?: string,
) {
  const h = new FactoryHarness({ tenant: 'acme' });
  const source = new TestWebhookSource(SECRET);
  Object.assign(source, { acknowledge });
  const logger = new MemoryLogger();
  const app = createFactoryApp({
    tenants: new StaticTenantRegistry([
      {
        id: 'acme',
        factory: h.factory,
        sources: new Map([['test', source]]),
        connections: async () => [],
      },
    ]),
    store: h.store,
    version: 'x',
    clock: h.clock,
    logger,
    ...(publicUrl ? { publicUrl } : {}),
  });
  const signed = async (payload: unknown) => {
    const body = JSON.stringify(payload);
    return app.request('/t/acme/webhooks/test', {
      method: 'POST',
      body,
      headers: await TestWebhookSource.sign(SECRET, body, h.clock.now()),
    });
  };
  return { h, app, logger, signed };
}

describe('a webhook source that acknowledges receipt', () => {
  it('is called once per fresh delivery, before the core handles it, with the dashboard link and the refusal', async () => {
    const seen: { spawnedBefore: number; url?: string; refusal?: string; ready?: string }[] = [];
    const { h, signed } = setup(async (interpretation, receipt) => {
      const event = interpretation.events[0];
      if (event?.type !== 'work-item.changed') return;
      const outside = { ...event.item, labels: [] };
      seen.push({
        spawnedBefore: h.fleet.agents.size,
        ...(receipt.dashboardUrl(event.item.id) ? { url: receipt.dashboardUrl(event.item.id) } : {}),
        ...(receipt.refusal(outside) ? { refusal: receipt.refusal(outside) } : {}),
        ...(receipt.refusal(event.item) ? { ready: receipt.refusal(event.item) } : {}),
      });
    }, 'https://factory.example.com');
    const payload = { id: 'd-1', events: [h.changed(h.clearItem('item 1'))] };
    expect((await signed(payload)).status).toBe(200);
    expect(await (await signed(payload)).json()).toMatchObject({ status: 'duplicate' });
    expect(seen).toEqual([
      {
        spawnedBefore: 0,
        url: 'https://factory.example.com/t/acme/items/item%201',
        refusal: 'outside the opt-in scope: missing label "factory"',
      },
    ]);
    expect(h.fleet.agents.size).toBe(1);
  });

  it('gives no dashboard link when the app has no public URL', async () => {
    const urls: (string | undefined)[] = [];
    const { h, signed } = setup(async (interpretation, receipt) => {
      const event = interpretation.events[0];
      if (event?.type === 'work-item.changed') urls.push(receipt.dashboardUrl(event.item.id));
    });
    await signed({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    expect(urls).toEqual([undefined]);
  });

  it('that fails is logged, and the delivery is handled all the same', async () => {
    const { h, logger, signed } = setup(async () => {
      throw new Error('Linear is down');
    });
    const response = await signed({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'processed' });
    expect(h.fleet.agents.size).toBe(1);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'delivery not acknowledged; handling it anyway',
        fields: expect.objectContaining({ error: 'Linear is down' }),
      }),
    );
  });

  it('is not called for a delivery that fails its signature', async () => {
    let calls = 0;
    const { h, app } = setup(async () => {
      calls++;
    });
    const body = JSON.stringify({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    const headers = await TestWebhookSource.sign('another secret', body, h.clock.now());
    const response = await app.request('/t/acme/webhooks/test', { method: 'POST', body, headers });
    expect(response.status).toBe(401);
    expect(calls).toBe(0);
  });
});
