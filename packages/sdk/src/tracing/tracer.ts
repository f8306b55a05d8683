import type { Span, SpanContext, Tracer, TracerProvider } from '@opentelemetry/api';
import { INVALID_SPAN_CONTEXT, isSpanContextValid, registeredTracerProvider } from './otel-api.ts';

/** What the API registers: a proxy whose delegate is the provider an SDK set (and may set anew). */
interface DelegatingProvider extends TracerProvider {
  getDelegate?(): TracerProvider;
}

let tracerOf: { provider: TracerProvider; delegate: TracerProvider | undefined; tracer: Tracer } | undefined;

/**
 * The tracer the core's spans come from (only once a provider is registered, `tracingRegistered`). It
 * is kept while the registered provider and the provider it delegates to stay the same: a tracer kept
 * longer would stay bound to a provider since replaced.
 */
export function factoryTracer(): Tracer {
  const provider: DelegatingProvider | undefined = registeredTracerProvider();
  if (!provider) throw new Error('no tracer provider is registered');
  const delegate = provider.getDelegate?.();
  if (tracerOf?.provider !== provider || tracerOf.delegate !== delegate)
    tracerOf = { provider, delegate, tracer: provider.getTracer('@software-factory/sdk') };
  return tracerOf.tracer;
}

/**
 * True when an OpenTelemetry SDK registered a tracer provider (through any copy of the API). Asked once
 * per event, so that without one the core builds no span, attribute object or wrapper at all.
 */
export function tracingRegistered(): boolean {
  return registeredTracerProvider() !== undefined;
}

/**
 * True when the tracer gave back its parent's span context (for a root, an invalid one) instead of a
 * span of its own, as the OpenTelemetry API's no-op tracer does, registered or not. Nothing started
 * under such a tracer can record: the core builds nothing more for that delivery or event. (A sampler
 * that drops a span still makes one, with its own id: that is not this.)
 */
export function madeNoSpan(span: Span, parent: SpanContext | undefined): boolean {
  const made = span.spanContext();
  // The API's no-op span for a root holds the API's own invalid context: known without checking it.
  return parent ? made === parent : made === INVALID_SPAN_CONTEXT || !isSpanContextValid(made);
}
