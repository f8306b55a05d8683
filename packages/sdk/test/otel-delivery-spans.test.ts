import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFactoryApp, InMemoryStateStore, StaticTenantRegistry, traceIdFor } from '../src/index.ts';
import { FactoryHarness, TestWebhookSource } from '../src/testing/index.ts';

const SECRET = 'test-secret';
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

function setup() {
  const store = new InMemoryStateStore();
  const h = new FactoryHarness({ tenant: 'acme', store });
  const registry = new StaticTenantRegistry([
    {
      id: 'acme',
      factory: h.factory,
      sources: new Map([['test', new TestWebhookSource(SECRET)]]),
      connections: async () => [{ provider: 'fake-tracker', role: 'intake', status: { state: 'connected' } }],
    },
  ]);
  const app = createFactoryApp({ tenants: registry, store, version: '1.2.3', clock: h.clock });
  const send = async (payload: unknown, headers: Record<string, string> = {}) => {
    const body = JSON.stringify(payload);
    const signed = await TestWebhookSource.sign(SECRET, body, h.clock.now());
    return app.request('/t/acme/webhooks/test', { method: 'POST', body, headers: { ...signed, ...headers } });
  };
  return { h, send };
}

const span = (name: string) => exporter.getFinishedSpans().find((each) => each.name === name);

describe('a webhook delivery, traced', () => {
  it('is a server span (tenant, source, outcome) linked both ways to the event it brought, which is in the run’s trace', async () => {
    const { h, send } = setup();
    const response = await send({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    expect(response.status).toBe(200);

    const delivery = span('webhook test');
    const handled = span('handle work-item.changed');
    expect(delivery?.attributes).toEqual({
      'factory.tenant': 'acme',
      'factory.source': 'test',
      'factory.outcome': 'processed',
      'http.response.status_code': 200,
    });
    expect(delivery?.parentSpanContext).toBeUndefined();
    expect(handled?.spanContext().traceId).toBe(traceIdFor('acme', 'item-1', 1));
    expect(delivery?.links.map((link) => link.context.spanId)).toEqual([handled?.spanContext().spanId]);
    expect(handled?.links.map((link) => link.context.spanId)).toEqual([delivery?.spanContext().spanId]);
  });

  it('continues the trace a traceparent header names', async () => {
    const { h, send } = setup();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await send({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] }, { traceparent });
    const delivery = span('webhook test');
    expect(delivery?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(delivery?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('ignores a malformed traceparent header and starts its own trace', async () => {
    const { h, send } = setup();
    await send(
      { id: 'd-1', events: [h.changed(h.clearItem('item-1'))] },
      { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' },
    );
    const delivery = span('webhook test');
    expect(delivery?.parentSpanContext).toBeUndefined();
    expect(delivery?.spanContext().traceId).not.toBe('00000000000000000000000000000000');
  });

  it('is named by its source only when the tenant has that source', async () => {
    const { h } = setup();
    const app = createFactoryApp({
      tenants: new StaticTenantRegistry([]),
      store: new InMemoryStateStore(),
      version: '1',
      clock: h.clock,
    });
    await app.request('/t/acme/webhooks/made-up-by-anyone', { method: 'POST', body: '{}' });
    const [delivery] = exporter.getFinishedSpans();
    expect(delivery?.name).toBe('webhook');
    expect(delivery?.attributes).toEqual({
      'factory.tenant': 'acme',
      'factory.outcome': 'rejected',
      'http.response.status_code': 404,
    });
  });

  it('names what became of a duplicate, an ignored and a refused delivery', async () => {
    const { h, send } = setup();
    const payload = { id: 'd-1', events: [h.changed(h.clearItem('item-1'))] };
    await send(payload);
    await send(payload);
    await send({ id: 'd-2', ignored: 'not ours' });
    await send({ id: 'd-3' }, { 'x-test-signature': 'sha256=00' });
    expect(
      exporter
        .getFinishedSpans()
        .filter((each) => each.name === 'webhook test')
        .map((each) => each.attributes['factory.outcome']),
    ).toEqual(['processed', 'duplicate', 'ignored', 'rejected']);
  });
});
