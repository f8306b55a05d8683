import type { Context } from 'hono';

// The dashboard's one cookie, read and written here rather than through `hono/cookie`, whose general
// parser and serializer (every attribute, prefixes, decoding) cost a Worker more than this whole file.
// Its value is ours (`SessionCookies`: letters, digits and dots), so it is never encoded or quoted.

export const SESSION_COOKIE = 'factory_session';

/** The session cookie the request carries (the first of that name), or undefined. */
export function sessionCookieOf(c: Context): string | undefined {
  for (const pair of c.req.header('cookie')?.split(';') ?? []) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === SESSION_COOKIE) return pair.slice(at + 1).trim();
  }
  return undefined;
}

export interface SessionCookieScope {
  /** The tenant's dashboard, `/t/<tenant>/`: the cookie goes nowhere else. */
  path: string;
  secure: boolean;
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, for `maxAgeSeconds`. */
export function setSessionCookie(
  c: Context,
  value: string,
  scope: SessionCookieScope,
  maxAgeSeconds: number,
): void {
  c.header('set-cookie', sessionCookie(value, scope, Math.floor(maxAgeSeconds)), { append: true });
}

/** Tells the browser to drop the session cookie (empty, Max-Age=0). */
export function clearSessionCookie(c: Context, scope: SessionCookieScope): void {
  c.header('set-cookie', sessionCookie('', scope, 0), { append: true });
}

function sessionCookie(value: string, scope: SessionCookieScope, maxAge: number): string {
  return `${SESSION_COOKIE}=${value}; Max-Age=${maxAge}; Path=${scope.path}; HttpOnly${scope.secure ? '; Secure' : ''}; SameSite=Strict`;
}
