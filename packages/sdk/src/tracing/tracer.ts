import {
  isSpanContextValid,
  ProxyTracerProvider,
  type Span,
  type SpanContext,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/**
 * The tracer the core's spans come from, asked of the registered provider each time (only once a
 * provider is registered): a tracer kept from before would stay bound to a provider since replaced.
 */
export function factoryTracer(): Tracer {
  return trace.getTracer('@software-factory/sdk');
}

// The API's own no-op provider: what the global proxy delegates to while no SDK is registered.
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * True when an OpenTelemetry SDK registered a tracer provider. Asked once per event, so that without one
 * the core builds no span, attribute object or wrapper at all. (A provider registered through another
 * copy of the API counts as registered: its spans are then made and cost what they cost.)
 */
export function tracingRegistered(): boolean {
  const provider = trace.getTracerProvider();
  const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
  return delegate !== NOOP_PROVIDER;
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
