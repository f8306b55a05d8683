/** `/t/<tenant>/webhooks/<source>`, each segment as it stands (no percent-encoding to undo). */
const WEBHOOK_PATH = /^\/t\/([^/%#]+)\/webhooks\/([^/%#]+)$/;

/**
 * The tenant and source a request's URL names when it is a webhook delivery's path, read off the URL
 * string without parsing it as a `URL` (the router's way too: the path runs from the first `/` after the
 * scheme's `//` to the query). Undefined for any other path, and for one with a percent-escape in it,
 * which the router decodes: the router is then the one to answer it.
 */
export function webhookPathOf(url: string): { tenant: string; source: string } | undefined {
  const start = url.indexOf('/', url.indexOf(':') + 3);
  if (start === -1) return undefined;
  const query = url.indexOf('?', start);
  const match = WEBHOOK_PATH.exec(query === -1 ? url.slice(start) : url.slice(start, query));
  return match ? { tenant: match[1] as string, source: match[2] as string } : undefined;
}
