/**
 * A link template to a run's trace in a tracing UI, e.g. `https://grafana.example.com/explore?traceId={traceId}`:
 * an https URL with `{traceId}` in it. Returns the template, or throws saying what is wrong.
 */
export function checkTraceUrl(value: string): string {
  const example = 'such as https://grafana.example.com/explore?traceId={traceId}';
  if (!value.includes('{traceId}'))
    throw new Error(`the trace URL must contain {traceId}, ${example}; got "${value}"`);
  const url = URL.canParse(value.replaceAll('{traceId}', '0'))
    ? new URL(value.replaceAll('{traceId}', '0'))
    : undefined;
  if (url?.protocol !== 'https:')
    throw new Error(`the trace URL must be an https URL, ${example}; got "${value}"`);
  return value;
}
