import type { LogFields } from '../ports/logger.ts';

/**
 * The field names every runtime's log lines use, so one query finds an item's lines wherever they were
 * written: `time`, `level`, `msg` first, then what the line is about.
 */
export const LOG_FIELD = {
  time: 'time',
  level: 'level',
  message: 'msg',
  tenant: 'tenant',
  workItemId: 'workItemId',
  event: 'event',
  /** The W3C trace id of the item's run (`traceIdFor`), on every line of that run. */
  traceId: 'traceId',
  /** The span the line was written in, when tracing is on (16 hex digits). */
  spanId: 'spanId',
} as const;

/**
 * Where the current trace is, asked once per line: the tracing side answers from its active span, so a
 * line written inside a span carries its `traceId` and `spanId` without every caller passing them.
 */
export type TraceContext = () => { traceId?: string; spanId?: string } | undefined;

/** The trace fields of a line: those the caller passed win over the active span's. */
export function withTrace(fields: LogFields, traceContext: TraceContext | undefined): LogFields {
  const active = traceContext?.();
  if (!active) return fields;
  return {
    ...(active.traceId ? { [LOG_FIELD.traceId]: active.traceId } : {}),
    ...(active.spanId ? { [LOG_FIELD.spanId]: active.spanId } : {}),
    ...fields,
  };
}
