import type { Attributes, Context, Span } from '@opentelemetry/api';
import type { FactoryEventType } from '../events.ts';
import type { HandleResult } from '../pipeline/result.ts';
import type { PendingEffect, WorkItemRecord } from '../record.ts';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from './otel-api.ts';
import { runSpanContext, traceparentOf } from './run-trace.ts';
import { factoryTracer } from './tracer.ts';

/** A provider call made before the handler knew its work item: kept, and emitted once it does. */
interface EarlyCall {
  name: string;
  attributes: Attributes;
  start: number;
  end: number;
  /** The error's type (its class name), never its message: a vendor's message may quote what it was sent. */
  error?: string;
}

/**
 * The spans of one `handle` call. The work item, and so the run's trace, is known only once the
 * handler has read its record (a reply names a thread, an output a branch), so the event's span
 * (`handle <event>`) starts then, backdated to the call's start, as a child of the run's derived span:
 * every event of one run, however far apart, lands in one trace. Provider calls made before that are
 * kept and emitted under it. One span per work item an event touches (a tick touches many), each linked
 * to the delivery that brought the event, and the delivery linked back to each.
 *
 * Made only while an SDK is registered (`tracingRegistered`); the core passes none otherwise.
 */
export class EventTrace {
  readonly #tenant: string;
  readonly #event: FactoryEventType;
  readonly #delivery: Span | undefined;
  readonly #tracer = factoryTracer();
  readonly #startedAt = now();
  readonly #items = new Map<string, TracedSpan>();
  /** The item span made last: where a log line goes once no effect or item is being worked on. */
  #lastItem: TracedSpan | undefined;
  #current: TracedSpan | undefined;
  #early: EarlyCall[] = [];

  constructor(tenant: string, event: FactoryEventType, delivery?: Span) {
    this.#tenant = tenant;
    this.#event = event;
    this.#delivery = delivery;
  }

  /**
   * The handler turns to a work item whose record it has not read yet (a tick's next item): calls made
   * until it has are kept for that item's span, not given to the previous one's.
   */
  leaveItem(): void {
    this.#current = undefined;
  }

  /** From here on, spans belong to this record's run (until another item is entered). */
  enterItem(record: WorkItemRecord): void {
    const item = this.#itemSpan(record);
    this.#emitEarly(item.span);
    this.#current = item;
  }

  /** Runs one effect in its span; `run` gets the `traceparent` that continues the trace from it. */
  effect<T>(
    record: WorkItemRecord,
    effect: PendingEffect,
    run: (traceparent: string) => Promise<T>,
  ): Promise<T> {
    const parent = this.#itemSpan(record);
    // A span that records nothing gets no children: with the samplers the SDK ships (parent-based, by
    // trace id, always off) they would record nothing either. The agent continues from it all the same.
    if (!parent.recording) return run(traceparentOf(parent.span.spanContext()));
    const span = this.#tracer.startSpan(
      `effect ${effect.kind}`,
      { attributes: { 'factory.effect': effect.kind, 'factory.effect.id': effect.id } },
      contextOf(parent),
    );
    this.#current = traced(span);
    const ended = () => {
      span.end();
      this.#current = parent;
    };
    let running: Promise<T>;
    try {
      running = run(traceparentOf(span.spanContext()));
    } catch (error) {
      failed(span, error);
      ended();
      throw error;
    }
    return running.then(
      (value) => {
        ended();
        return value;
      },
      (error: unknown) => {
        failed(span, error);
        ended();
        throw error;
      },
    );
  }

  /**
   * The span a log line written now belongs to: the effect or item being worked on, else the last
   * item's, else the delivery's; undefined before any (nothing to point at yet).
   */
  get spanId(): string | undefined {
    const span = (this.#current ?? this.#lastItem)?.span ?? this.#delivery;
    return span?.spanContext().spanId;
  }

  /**
   * Puts one call of a port (`workItems.setState`), already under way, in a client span under whatever
   * span is current; settles as the call does. (Then-callbacks, not an async wrapper: a port call is the
   * commonest thing traced, and each await of a wrapper was one more turn of the microtask queue.)
   */
  call<T>(port: string, operation: string, answer: Promise<T>): Promise<T> {
    const name = `${port}.${operation}`;
    const attributes = { 'factory.port': port, 'factory.operation': operation };
    const parent = this.#current;
    if (parent && !parent.recording) return answer;
    if (!parent) {
      const start = now();
      const keep = (error?: string) =>
        this.#early.push({ name, attributes, start, end: now(), ...(error ? { error } : {}) });
      return answer.then(
        (value) => {
          keep();
          return value;
        },
        (failure: unknown) => {
          keep(errorType(failure));
          throw failure;
        },
      );
    }
    const span = this.#tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, contextOf(parent));
    return answer.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        failed(span, error);
        span.end();
        throw error;
      },
    );
  }

  /** Ends every span with what the event came to. */
  finish(result: HandleResult): void {
    const outcome = { 'factory.outcome': result.outcome, 'factory.reason': result.reason };
    if (this.#items.size === 0) {
      // Nothing named a work item (an ignored event, an empty tick): the span stays with the delivery.
      const parent = this.#delivery ? trace.setSpan(ROOT_CONTEXT, this.#delivery) : ROOT_CONTEXT;
      const span = this.#startHandle(parent, { ...this.#eventAttributes(), ...outcome });
      this.#emitEarly(span);
      span.end();
      return;
    }
    // Calls made for an item whose record was never found belong to the event; the last item's span holds them.
    this.#emitEarly((this.#lastItem as TracedSpan).span);
    for (const { span } of this.#items.values()) {
      span.setAttributes(outcome);
      if (result.outcome === 'incomplete') span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  }

  /** Ends every span as failed: the handler threw (the sender retries the delivery). */
  fail(error: unknown): void {
    if (this.#items.size === 0) {
      const parent = this.#delivery ? trace.setSpan(ROOT_CONTEXT, this.#delivery) : ROOT_CONTEXT;
      this.#items.set('', traced(this.#startHandle(parent, this.#eventAttributes())));
    }
    for (const { span } of this.#items.values()) {
      this.#emitEarly(span);
      failed(span, error);
      span.end();
    }
  }

  #itemSpan(record: WorkItemRecord): TracedSpan {
    const key = `${record.workItemId}\u0000${record.run}`;
    const known = this.#items.get(key);
    if (known) return known;
    const parent = trace.setSpanContext(
      ROOT_CONTEXT,
      runSpanContext(this.#tenant, record.workItemId, record.run),
    );
    const span = this.#startHandle(parent, {
      'factory.tenant': this.#tenant,
      'factory.event': this.#event,
      'factory.work_item.id': record.workItemId,
      'factory.work_item.key': record.item.key,
      'factory.run': record.run,
    });
    this.#delivery?.addLink({ context: span.spanContext() });
    const item = traced(span);
    this.#items.set(key, item);
    this.#lastItem = item;
    return item;
  }

  #startHandle(parent: Context, attributes: Attributes): Span {
    return this.#tracer.startSpan(
      `handle ${this.#event}`,
      {
        startTime: this.#startedAt,
        attributes,
        ...(this.#delivery ? { links: [{ context: this.#delivery.spanContext() }] } : {}),
      },
      parent,
    );
  }

  #eventAttributes(): Attributes {
    return { 'factory.tenant': this.#tenant, 'factory.event': this.#event };
  }

  #emitEarly(parent: Span): void {
    const early = this.#early;
    this.#early = [];
    if (early.length === 0 || !parent.isRecording()) return;
    const context = trace.setSpan(ROOT_CONTEXT, parent);
    for (const call of early) {
      const span = this.#tracer.startSpan(
        call.name,
        { kind: SpanKind.CLIENT, attributes: call.attributes, startTime: call.start },
        context,
      );
      if (call.error !== undefined) {
        span.setAttribute('error.type', call.error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end(call.end);
    }
  }
}

/** A span, whether it records (asked once), and the context its children start in, made for the first. */
interface TracedSpan {
  span: Span;
  recording: boolean;
  context?: Context;
}

function traced(span: Span): TracedSpan {
  return { span, recording: span.isRecording() };
}

function contextOf(traced: TracedSpan): Context {
  traced.context ??= trace.setSpan(ROOT_CONTEXT, traced.span);
  return traced.context;
}

/** Marks a span failed with the error's type only: messages can quote a vendor's reply, or a secret. */
function failed(span: Span, error: unknown): void {
  span.setAttribute('error.type', errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR });
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * Epoch milliseconds, as the SDK stamps a span it starts itself: a performance-based time drifts from
 * it, and an early call would then seem to start after spans that followed it.
 */
function now(): number {
  return Date.now();
}
