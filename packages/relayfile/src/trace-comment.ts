/** A W3C trace id: 32 lowercase hex digits. Anything else is not embedded (it could close the comment). */
const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * The comment body with the run's trace id appended as an HTML comment, which the tracker keeps in the
 * stored Markdown and does not render: operators find the run from a comment, readers see nothing.
 */
export function withHiddenTrace(body: string, traceId: string | undefined): string {
  return traceId && TRACE_ID.test(traceId) ? `${body}\n\n<!-- factory-trace-id: ${traceId} -->` : body;
}
