import type { SpanContext } from '@opentelemetry/api';
import { runSpanIdFor, traceIdFor } from '../trace.ts';
import { TraceFlags } from './otel-api.ts';

/**
 * The span every handled event of one run hangs from. It is never exported: its ids are derived from the
 * run (like the trace id), so an event handled hours later, in another process, finds the same parent
 * without anything stored. Sampled, so a parent-based sampler keeps the whole run.
 */
export function runSpanContext(tenant: string, workItemId: string, run: number): SpanContext {
  return {
    traceId: traceIdFor(tenant, workItemId, run),
    spanId: runSpanIdFor(tenant, workItemId, run),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  };
}

/** A W3C `traceparent` header value for a span context. */
export function traceparentOf(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-0${span.traceFlags & TraceFlags.SAMPLED}`;
}

/** The run's `traceparent` without any span recorded: what a fleet gets when tracing is off. */
export function traceparentFor(tenant: string, workItemId: string, run: number): string {
  return traceparentOf(runSpanContext(tenant, workItemId, run));
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/**
 * The span context a W3C `traceparent` header names, or undefined when it is absent or malformed (the
 * all-zero ids, version ff, or a version-00 header with anything after the flags are refused).
 */
export function parseTraceparent(header: string | null | undefined): SpanContext | undefined {
  if (!header || header.length > 512) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff' || (version === '00' && header.trim().length !== 55)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & 0xff, isRemote: true };
}
