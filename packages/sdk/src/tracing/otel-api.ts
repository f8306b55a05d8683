// The few parts of the OpenTelemetry API the core uses, without the API's `trace` object: that object
// carries the API's registration machinery (its diagnostics logger, version checks, proxy and no-op
// tracers), which every Worker and Lambda bundle would carry for nothing. A provider registered through
// the real API (`trace.setGlobalTracerProvider`, an SDK's `register()`) is read where the API keeps it,
// the global every copy of the API shares.
import type { Context, Span, SpanContext, TracerProvider } from '@opentelemetry/api';
import { createContextKey } from '@opentelemetry/api';

export {
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
} from '@opentelemetry/api';

/** Where every copy of the API, major version 1, keeps what was registered with it. */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * The oldest API whose registrations the core takes: the one it is built against (package.json's
 * `@opentelemetry/api`). The API itself refuses a global registered by an older copy (its objects may
 * lack what newer callers call) and takes a newer one, or a pre-release only of its own exact version.
 */
export const API_MINOR = 10;

interface RegisteredApi {
  version?: unknown;
  trace?: TracerProvider;
}

/** The registered tracer provider, as the API's `trace.getTracerProvider()` finds it; undefined if none. */
export function registeredTracerProvider(): TracerProvider | undefined {
  const api = (globalThis as { [API_GLOBAL]?: RegisteredApi })[API_GLOBAL];
  if (api?.trace === undefined || typeof api.version !== 'string') return undefined;
  return acceptedVersion(api.version) ? api.trace : undefined;
}

// Asked at least once per delivery: the verdict on the last version string seen is kept.
let lastVersion: string | undefined;
let lastAccepted = false;
function acceptedVersion(version: string): boolean {
  if (version !== lastVersion) {
    const parsed = /^1\.(\d+)\.\d+$/.exec(version);
    lastAccepted = parsed !== null && Number(parsed[1]) >= API_MINOR;
    lastVersion = version;
  }
  return lastAccepted;
}

// The key the API's `trace.setSpan` files a context's span under (a `Symbol.for`, so every copy reads it).
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');

/** `trace.setSpan` and `trace.setSpanContext` of the API, as the core calls them. */
export const trace = {
  setSpan: (context: Context, span: Span): Context => context.setValue(SPAN_KEY, span),
  setSpanContext: (context: Context, spanContext: SpanContext): Context =>
    context.setValue(SPAN_KEY, new ContextOnlySpan(spanContext)),
};

/** A parent known only by its context (a `traceparent`, a run's derived span): records nothing, as the API's. */
class ContextOnlySpan implements Span {
  readonly #context: SpanContext;
  constructor(context: SpanContext) {
    this.#context = context;
  }
  spanContext(): SpanContext {
    return this.#context;
  }
  setAttribute(): this {
    return this;
  }
  setAttributes(): this {
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(): this {
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {}
  isRecording(): boolean {
    return false;
  }
  recordException(): void {}
}
