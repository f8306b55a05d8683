import type { Context } from 'hono';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { AdminThrottle } from './admin-throttle.ts';
import { type RequestClient, requestClient, type TrustedProxies } from './client-address.ts';
import type { SessionCookies } from './sessions.ts';

/** What every authenticated route of the app shares: who the client is, throttling, sessions. */
export class HttpSecurity {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly throttle: AdminThrottle | undefined;
  readonly sessions: SessionCookies;
  readonly operatorToken: string | undefined;
  /** The origin of the configured public URL, e.g. `https://factory.example.com`. */
  readonly publicOrigin: string | undefined;
  readonly #publicHttps: boolean;
  readonly #trusted: TrustedProxies;
  readonly #peer: ((c: Context) => string | undefined) | undefined;

  constructor(options: {
    clock: Clock;
    logger: Logger;
    throttle: AdminThrottle | undefined;
    sessions: SessionCookies;
    operatorToken: string | undefined;
    publicUrl: URL | undefined;
    trusted: TrustedProxies;
    peer: ((c: Context) => string | undefined) | undefined;
  }) {
    this.clock = options.clock;
    this.logger = options.logger;
    this.throttle = options.throttle;
    this.sessions = options.sessions;
    this.operatorToken = options.operatorToken;
    this.publicOrigin = options.publicUrl?.origin;
    this.#publicHttps = options.publicUrl?.protocol === 'https:';
    this.#trusted = options.trusted;
    this.#peer = options.peer;
  }

  client(c: Context): RequestClient {
    let peer: string | undefined;
    try {
      peer = this.#peer?.(c) || undefined;
    } catch {
      peer = undefined;
    }
    return requestClient(c, peer, this.#trusted);
  }

  /** Whether a cookie set in answer to this request must be `Secure`. */
  secureCookies(c: Context): boolean {
    return this.#publicHttps || this.client(c).https;
  }

  /**
   * A state-changing form POST comes from our own pages: its `Origin` is the request's own origin (or
   * the public URL's, or the https twin of our host when a trusted proxy says the client used https).
   * Our pages send no referrer, so a browser may send `Origin: null` for their own posts: then the
   * browser's `Sec-Fetch-Site` (which no page can set) must say `same-origin` (or `none`, typed by the
   * user). A client that sends neither header (curl, a script) is no browser a page could have driven.
   */
  sameOrigin(c: Context): boolean {
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== 'null') {
      const own = new URL(c.req.url);
      const allowed = new Set([own.origin]);
      if (this.publicOrigin) allowed.add(this.publicOrigin);
      if (this.client(c).https) allowed.add(`https://${own.host}`);
      return allowed.has(origin);
    }
    const site = c.req.header('sec-fetch-site');
    if (site !== undefined) return site === 'same-origin' || site === 'none';
    return origin === undefined;
  }
}

/** The token of an `Authorization: Bearer …` header, if there is one. */
export function bearerOf(c: Context): string | undefined {
  return /^Bearer +(\S.*)$/i.exec(c.req.header('authorization') ?? '')?.[1];
}

/** Headers every answer of the app carries; the dashboard's pages need them, the rest loses nothing. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};
