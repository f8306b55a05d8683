import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  trace as apiTrace,
  ROOT_CONTEXT,
  type SpanContext,
  TraceFlags,
  type TracerProvider,
} from '@opentelemetry/api';
import { AlwaysOnSampler, TracerProvider as SdkTracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { API_MINOR, registeredTracerProvider, trace } from '../src/tracing/otel-api.ts';

// The core reads the tracer provider where the OpenTelemetry API registers it, without the API's
// `trace` object: it must find exactly what the API's own `trace.getTracerProvider()` finds.

const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const global = globalThis as { [API_GLOBAL]?: unknown };
const provider: TracerProvider = new SdkTracerProvider();

afterEach(() => {
  apiTrace.disable();
});

/** Whether the API itself takes the provider in the global as the registered one. */
function apiFinds(): boolean {
  return apiTrace.getTracerProvider() === provider;
}

describe('the tracer provider the core finds', () => {
  it('is none while nothing is registered, and the provider once one is through the API', () => {
    expect(registeredTracerProvider()).toBeUndefined();
    apiTrace.setGlobalTracerProvider(provider);
    // The API registers its proxy, which hands the core's tracer requests to the provider.
    const found = registeredTracerProvider();
    expect(found).toBe(apiTrace.getTracerProvider());
    expect(found?.getTracer('probe').startSpan('probe').isRecording()).toBe(true);
    apiTrace.disable();
    expect(registeredTracerProvider()).toBeUndefined();
  });

  it('is the one the API finds, whatever version of the API registered it', () => {
    const saved = Object.getOwnPropertyDescriptor(global, API_GLOBAL);
    try {
      for (const version of [
        '1.10.0',
        '1.10.3',
        '1.11.0',
        '1.42.1',
        '1.9.0',
        '1.0.0',
        '2.0.0',
        '0.10.0',
        '1.10.0-rc.1',
        '1.11.0-dev',
        'v1.10.0',
        undefined,
      ]) {
        global[API_GLOBAL] = { version, trace: provider };
        expect({ version, found: registeredTracerProvider() === provider }).toEqual({
          version,
          found: apiFinds(),
        });
      }
    } finally {
      if (saved) Object.defineProperty(global, API_GLOBAL, saved);
      else delete global[API_GLOBAL];
    }
  });

  it('takes registrations from the API version the sdk depends on', () => {
    const require = createRequire(import.meta.url);
    const sdk = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(sdk.dependencies['@opentelemetry/api']).toBe(`^1.${API_MINOR}.0`);
    const installed = join(dirname(require.resolve('@opentelemetry/api')), '..', 'package.json');
    expect(JSON.parse(readFileSync(installed, 'utf8')).version).toMatch(new RegExp(`^1\\.${API_MINOR}\\.`));
  });
});

describe('a parent set in a context', () => {
  const parent: SpanContext = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  };

  it('is read by the API as its own `setSpanContext` files it: that context, recording nothing', () => {
    const context = trace.setSpanContext(ROOT_CONTEXT, parent);
    expect(apiTrace.getSpanContext(context)).toBe(parent);
    expect(apiTrace.getSpan(context)?.isRecording()).toBe(false);
    const span = apiTrace.getSpan(context);
    expect(span?.setAttribute('a', 1).addEvent('e').setStatus({ code: 2 }).updateName('n')).toBe(span);
  });

  it('is a span set by `setSpan`, which an SDK tracer starts its child under', () => {
    const sdk = new SdkTracerProvider({ sampler: new AlwaysOnSampler() });
    const tracer = sdk.getTracer('probe');
    const outer = tracer.startSpan('outer', {}, trace.setSpanContext(ROOT_CONTEXT, parent));
    expect(outer.spanContext().traceId).toBe(parent.traceId);
    const inner = tracer.startSpan('inner', {}, trace.setSpan(ROOT_CONTEXT, outer));
    expect(apiTrace.getSpan(trace.setSpan(ROOT_CONTEXT, outer))).toBe(outer);
    expect(inner.spanContext().traceId).toBe(parent.traceId);
    expect(inner.spanContext().spanId).not.toBe(outer.spanContext().spanId);
  });
});
