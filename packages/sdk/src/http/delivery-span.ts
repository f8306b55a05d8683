import type { Span } from '@opentelemetry/api';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '../tracing/otel-api.ts';
import { parseTraceparent } from '../tracing/run-trace.ts';
import {
  factoryTracer,
  madeNoSpan,
  noteRootWithoutSpan,
  tracerMakesNoSpans,
  tracingRegistered,
} from '../tracing/tracer.ts';

/** The delivery being traced, by its request: its span, and what became of it once the app says. */
interface TracedDelivery {
  span: Span;
  made: true;
  outcome?: DeliveryOutcome;
}
/** A delivery whose tracer made no span of its own (`madeNoSpan`): nothing of it can record. */
const UNTRACED = Object.freeze({ made: false as const });
const deliveries = new WeakMap<Request, TracedDelivery | typeof UNTRACED>();

/** What became of a delivery the answer alone does not tell (a 200 is processed, or a duplicate). */
export type DeliveryOutcome =
  | 'processed'
  | 'incomplete'
  | 'duplicate'
  | 'ignored'
  | 'accepted'
  | 'in-progress';

/**
 * Runs one webhook delivery in a `webhook <source>` span (tenant, source, outcome), the child of the
 * request's `traceparent` when it has one (an agent continuing its run's trace, a proxy's trace), a
 * root otherwise. The events it brings are handled in their runs' traces and linked both ways. Without
 * a registered SDK it only calls `receive`.
 */
export function inDeliverySpan(
  request: Request,
  names: { tenant: string; source: string },
  receive: () => Promise<Response>,
): Promise<Response> {
  if (!tracingRegistered()) return receive();
  if (tracerMakesNoSpans()) {
    deliveries.set(request, UNTRACED);
    return receive();
  }
  const incoming = parseTraceparent(request.headers.get('traceparent'));
  // Named by its source once the tenant is found to have it: a path anyone can make up would otherwise
  // make span names (and the collector's indexes) without end.
  const span = factoryTracer().startSpan(
    'webhook',
    { kind: SpanKind.SERVER, attributes: { 'factory.tenant': names.tenant } },
    incoming ? trace.setSpanContext(ROOT_CONTEXT, incoming) : ROOT_CONTEXT,
  );
  // A span the tracer did not make has nothing to end or say; the entry goes with the request.
  if (madeNoSpan(span, incoming)) {
    if (!incoming) noteRootWithoutSpan();
    deliveries.set(request, UNTRACED);
    return receive();
  }
  const delivery: TracedDelivery = { span, made: true };
  deliveries.set(request, delivery);
  const ended = () => {
    deliveries.delete(request);
    span.end();
  };
  const failed = (error: unknown) => {
    span.setAttribute('factory.outcome', 'failed');
    span.setAttribute('error.type', error instanceof Error ? error.name : typeof error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    ended();
    throw error;
  };
  let receiving: Promise<Response>;
  try {
    receiving = receive();
  } catch (error) {
    return failed(error);
  }
  // Then-callbacks rather than an async wrapper: one delivery, one turn of the microtask queue fewer.
  return receiving.then((response) => {
    // What a span that records nothing is told is lost: the OpenTelemetry way is not to work it out.
    if (span.isRecording()) describe(span, names.source, response, delivery.outcome);
    ended();
    return response;
  }, failed);
}

/** Names the delivery's span by its source (once the route was found) and says what came of it. */
function describe(
  span: Span,
  source: string,
  response: Response,
  outcome: DeliveryOutcome | undefined,
): void {
  if (response.status !== 404) {
    span.updateName(`webhook ${source}`);
    span.setAttribute('factory.source', source);
  }
  span.setAttributes({
    'factory.outcome': outcome ?? outcomeOf(response.status),
    'http.response.status_code': response.status,
  });
  if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
}

/** The span of the delivery `request` is, when it is being traced. */
export function deliverySpanOf(request: Request): Span | undefined {
  const delivery = deliveries.get(request);
  return delivery?.made ? delivery.span : undefined;
}

/** True when the delivery's tracer made no span (`madeNoSpan`): its events need none either. */
export function deliveryUntraced(request: Request): boolean {
  return deliveries.get(request)?.made === false;
}

/** Says what became of the delivery `request` is, when it is being traced; nothing otherwise. */
export function noteOutcome(request: Request, outcome: DeliveryOutcome): void {
  const delivery = deliveries.get(request);
  if (delivery?.made) delivery.outcome = outcome;
}

/** An answer the app gave without saying more: a handshake, a refusal, a failure. */
function outcomeOf(status: number): string {
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'failed';
  if (status >= 400) return 'rejected';
  return 'answered';
}
