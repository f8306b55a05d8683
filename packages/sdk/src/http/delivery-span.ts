import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { parseTraceparent } from '../tracing/run-trace.ts';
import { factoryTracer, tracingRegistered } from '../tracing/tracer.ts';

/** The delivery span of a request being handled, for the events it brings to link to. */
const spans = new WeakMap<Request, Span>();

/**
 * Runs one webhook delivery in a `webhook <source>` span (tenant, source, outcome), the child of the
 * request's `traceparent` when it has one (an agent continuing its run's trace, a proxy's trace), a
 * root otherwise. The events it brings are handled in their runs' traces and linked both ways. Without
 * a registered SDK it only calls `receive`.
 */
export async function inDeliverySpan(
  request: Request,
  names: { tenant: string; source: string },
  receive: () => Promise<Response>,
): Promise<Response> {
  if (!tracingRegistered()) return receive();
  const incoming = parseTraceparent(request.headers.get('traceparent'));
  const span = factoryTracer.startSpan(
    `webhook ${names.source}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'factory.tenant': names.tenant, 'factory.source': names.source },
    },
    incoming ? trace.setSpanContext(ROOT_CONTEXT, incoming) : ROOT_CONTEXT,
  );
  spans.set(request, span);
  try {
    const response = await receive();
    span.setAttributes({
      'factory.outcome': await outcomeOf(response),
      'http.response.status_code': response.status,
    });
    if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  } catch (error) {
    span.setAttribute('factory.outcome', 'failed');
    span.setAttribute('error.type', error instanceof Error ? error.name : typeof error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    spans.delete(request);
    span.end();
  }
}

/** The span of the delivery `request` is, when it is being traced. */
export function deliverySpanOf(request: Request): Span | undefined {
  return spans.get(request);
}

/**
 * What became of the delivery, in one word: the `status` the answer names (processed, ignored,
 * duplicate, incomplete, accepted), else by the HTTP status (rejected, unavailable, failed, answered).
 */
async function outcomeOf(response: Response): Promise<string> {
  if (response.headers.get('content-type')?.startsWith('application/json')) {
    const body = (await response
      .clone()
      .json()
      .catch(() => undefined)) as { status?: unknown } | undefined;
    if (typeof body?.status === 'string' && /^[a-z-]{1,20}$/.test(body.status)) return body.status;
  }
  if (response.status === 503) return 'unavailable';
  if (response.status >= 500) return 'failed';
  if (response.status >= 400) return 'rejected';
  return 'answered';
}
