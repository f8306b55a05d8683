/** A W3C trace id: 32 lowercase hex digits. Anything else is not embedded (it could close the comment). */
const TRACE_ID = /^[0-9a-f]{32}$/;

export const TRACE_COMMENT_PREFIX = '<!-- factory-trace-id:';

/**
 * The run's trace id as an HTML comment, which GitHub, GitLab and Linear keep in the stored Markdown and
 * do not render: operators find the run from a comment, readers see nothing. Empty without a valid id.
 */
export function hiddenTraceComment(traceId: string | undefined): string {
  return traceId && TRACE_ID.test(traceId) ? `${TRACE_COMMENT_PREFIX} ${traceId} -->` : '';
}

/** The comment body with the hidden trace line appended, when there is a trace id. */
export function withHiddenTrace(body: string, traceId: string | undefined): string {
  const hidden = hiddenTraceComment(traceId);
  return hidden ? `${body}\n\n${hidden}` : body;
}

/** The trace id a comment body carries, if any. */
export function traceIdIn(body: string): string | undefined {
  return /<!-- factory-trace-id: ([0-9a-f]{32}) -->/.exec(body)?.[1];
}

export function isTraceId(value: string | undefined): value is string {
  return value !== undefined && TRACE_ID.test(value);
}
