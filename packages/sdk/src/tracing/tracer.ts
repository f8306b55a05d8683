import type { Span, SpanContext, Tracer } from '@opentelemetry/api';
import { isSpanContextValid, registeredTracerProvider } from './otel-api.ts';

/**
 * The tracer the core's spans come from, asked of the registered provider each time (only once a
 * provider is registered, `tracingRegistered`): a tracer kept from before would stay bound to a
 * provider since replaced.
 */
export function factoryTracer(): Tracer {
  const provider = registeredTracerProvider();
  if (!provider) throw new Error('no tracer provider is registered');
  return provider.getTracer('@software-factory/sdk');
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
  return parent ? made === parent : !isSpanContextValid(made);
}
