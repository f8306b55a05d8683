import type { Span, SpanContext, Tracer, TracerProvider } from '@opentelemetry/api';
import { INVALID_SPAN_CONTEXT, isSpanContextValid, registeredTracerProvider } from './otel-api.ts';

/** What the API registers: a proxy whose delegate is the provider an SDK set (and may set anew). */
interface DelegatingProvider extends TracerProvider {
  getDelegate?(): TracerProvider;
}

interface KeptTracer {
  provider: TracerProvider;
  delegate: TracerProvider | undefined;
  tracer: Tracer;
  /** Seen to make no span of its own for a root (`madeNoSpan`): the API's no-op tracer. */
  makesNoSpans?: true;
}
let tracerOf: KeptTracer | undefined;

/**
 * The tracer the core's spans come from (only once a provider is registered, `tracingRegistered`). It
 * is kept while the registered provider and the provider it delegates to stay the same: a tracer kept
 * longer would stay bound to a provider since replaced.
 */
export function factoryTracer(): Tracer {
  return keptTracer().tracer;
}

function keptTracer(): KeptTracer {
  const provider: DelegatingProvider | undefined = registeredTracerProvider();
  if (!provider) throw new Error('no tracer provider is registered');
  const delegate = provider.getDelegate?.();
  if (tracerOf?.provider !== provider || tracerOf.delegate !== delegate)
    tracerOf = { provider, delegate, tracer: provider.getTracer('@software-factory/sdk') };
  return tracerOf;
}

/**
 * True once the current tracer gave back no span of its own for a root span (`noteRootWithoutSpan`): the
 * API's no-op tracer, which does so for every span. A tracer that makes spans (the SDK's, whatever it
 * samples) never does, so a delivery under it need not ask the tracer again, nor build a span's options.
 */
export function tracerMakesNoSpans(): boolean {
  return registeredTracerProvider() !== undefined && keptTracer().makesNoSpans === true;
}

/** Notes that the current tracer made no span of its own for a root (`madeNoSpan` with no parent). */
export function noteRootWithoutSpan(): void {
  keptTracer().makesNoSpans = true;
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
