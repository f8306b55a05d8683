import { ProxyTracerProvider, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { AlwaysOffSampler, TracerProvider as SdkTracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { createFactoryApp, StaticTenantRegistry, traceparentFor } from '../src/index.ts';
import { FactoryHarness, TestWebhookSource } from '../src/testing/index.ts';

// A provider can be registered whose tracer makes no span of its own: the OpenTelemetry API's no-op
// tracer, which hands back its parent's context. Nothing under it can record, so the core makes no more
// than the first span it asks for. A sampler that drops spans is not that: its spans have ids of their
// own, and the core makes the delivery's and each item's, but none under a span that records nothing.

const SECRET = 'test-secret';

/** The provider, with every span its tracers start counted by name. */
function counted(provider: TracerProvider): { provider: TracerProvider; started: string[] } {
  const started: string[] = [];
  return {
    started,
    provider: {
      getTracer(name, version, options) {
        const tracer = provider.getTracer(name, version, options);
        return {
          startSpan(spanName, spanOptions, context) {
            started.push(spanName);
            return tracer.startSpan(spanName, spanOptions, context);
          },
          startActiveSpan: tracer.startActiveSpan.bind(tracer),
        } as Tracer;
      },
    },
  };
}

/** The API's own no-op provider class, as a provider registered in its own right. */
function noopApiProvider(): TracerProvider {
  const fallback = new ProxyTracerProvider().getDelegate();
  return new (fallback.constructor as new () => TracerProvider)();
}

function setup() {
  const h = new FactoryHarness({ tenant: 'acme' });
  const app = createFactoryApp({
    tenants: new StaticTenantRegistry([
      {
        id: 'acme',
        factory: h.factory,
        sources: new Map([['test', new TestWebhookSource(SECRET)]]),
        connections: async () => [],
      },
    ]),
    store: h.store,
    version: '1.2.3',
    clock: h.clock,
  });
  const send = async (payload: unknown, headers: Record<string, string> = {}) => {
    const body = JSON.stringify(payload);
    const signed = await TestWebhookSource.sign(SECRET, body, h.clock.now());
    return app.request('/t/acme/webhooks/test', { method: 'POST', body, headers: { ...signed, ...headers } });
  };
  return { h, send };
}

const spawnedTraceparent = (h: FactoryHarness) => [...h.fleet.agents.values()][0]?.request.traceparent;

afterEach(() => {
  trace.disable();
});

describe('with a registered tracer that makes no span of its own (the API’s no-op)', () => {
  it('a delivery asks for its own span only; the item is dispatched and its agent continues the run’s trace', async () => {
    const { provider, started } = counted(noopApiProvider());
    trace.setGlobalTracerProvider(provider);
    const { h, send } = setup();
    const response = await send({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('dispatched');
    expect(started).toEqual(['webhook']);
    expect(spawnedTraceparent(h)).toBe(traceparentFor('acme', 'item-1', 1));
  });

  it('once it made no span for a root, later deliveries ask it for none; an SDK registered after it gets them', async () => {
    const noop = counted(noopApiProvider());
    trace.setGlobalTracerProvider(noop.provider);
    const { h, send } = setup();
    await send({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    await send({ id: 'd-2', events: [h.changed(h.clearItem('item-2'))] });
    expect(noop.started).toEqual(['webhook']);
    expect(h.fleet.spawnCalls).toBe(2);

    trace.disable();
    const sdk = counted(new SdkTracerProvider({ sampler: new AlwaysOffSampler() }));
    trace.setGlobalTracerProvider(sdk.provider);
    await send({ id: 'd-3', events: [h.changed(h.clearItem('item-3'))] });
    expect(sdk.started).toContain('webhook');
    expect(noop.started).toEqual(['webhook']);
  });

  it('so does one that names a parent in its traceparent', async () => {
    const { provider, started } = counted(noopApiProvider());
    trace.setGlobalTracerProvider(provider);
    const { h, send } = setup();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await send({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] }, { traceparent });
    expect(started).toEqual(['webhook']);
  });

  it('an event handled without a delivery asks for its item’s span only', async () => {
    const { provider, started } = counted(noopApiProvider());
    trace.setGlobalTracerProvider(provider);
    const { h } = setup();
    const result = await h.factory.handle(h.changed(h.clearItem('item-1')));
    expect(result.reason).toContain('dispatched');
    expect(started).toEqual(['handle work-item.changed']);
    expect(spawnedTraceparent(h)).toBe(traceparentFor('acme', 'item-1', 1));
  });
});

describe('with an SDK whose sampler drops every span', () => {
  it('makes the spans of the delivery and its item (each with an id of its own), none under a span that records nothing', async () => {
    const sdk = new SdkTracerProvider({ sampler: new AlwaysOffSampler() });
    const { provider, started } = counted(sdk);
    trace.setGlobalTracerProvider(provider);
    const { h, send } = setup();
    await send({ id: 'd-1', events: [h.changed(h.clearItem('item-1'))] });
    expect(started).toEqual(['webhook', 'handle work-item.changed']);
    // The agent continues from the item's span, unsampled: its own spans are dropped too.
    expect(spawnedTraceparent(h)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(spawnedTraceparent(h)).not.toBe(traceparentFor('acme', 'item-1', 1));
    await sdk.shutdown();
  });
});
