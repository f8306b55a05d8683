import { SECURITY_HEADERS } from './http-security.ts';

/** The security headers as pairs, listed once: an answer is built with them rather than given them after. */
export const SECURITY_HEADER_ENTRIES: readonly (readonly [string, string])[] =
  Object.entries(SECURITY_HEADERS);

/**
 * One plain record shared by every JSON answer: a runtime copies it into each answer's own headers
 * (`@hono/node-server`'s Response writes a plain record straight to the socket, a `Headers` it would
 * have to convert, and hand out as the answer's live headers). Frozen: nothing may change it for all.
 */
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json',
  ...SECURITY_HEADERS,
});

/**
 * A JSON answer with the security headers in its init, as `c.json` answers with the middleware's headers
 * set on it afterwards: the headers are filled once, where setting them on a finished answer checks and
 * sets each again (a webhook delivery's hot path has no middleware to do it).
 */
export function jsonAnswer(value: unknown, status: number, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS,
  });
}

/** A body of the given type (a handshake's reply), with the security headers. */
export function bodyAnswer(body: string, status: number, contentType: string): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, 'content-type': contentType } });
}

/** Adds each security header an answer does not carry yet; an answer built with them is left as it is. */
export function withSecurityHeaders(response: Response): Response {
  const { headers } = response;
  for (const [name, value] of SECURITY_HEADER_ENTRIES) if (!headers.has(name)) headers.set(name, value);
  return response;
}
