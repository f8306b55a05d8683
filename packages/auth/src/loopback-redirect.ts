import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';

export interface LoopbackRedirectOptions {
  /** 0 (default) lets the system pick a free port; vendors that match redirect URIs exactly need a fixed one. */
  port?: number;
  /** Path of the redirect URI. */
  path?: string;
  /** How long to wait for the browser before giving up. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export type RedirectOutcome = { kind: 'redirect'; url: URL } | { kind: 'timeout' } | { kind: 'aborted' };

/** A one-shot HTTP listener on 127.0.0.1 that waits for the browser to come back from the vendor. */
export interface LoopbackRedirect {
  readonly redirectUri: string;
  /** Resolves once: with the first request to `path`, after the timeout, or when the signal aborts. */
  readonly outcome: Promise<RedirectOutcome>;
  close(): Promise<void>;
}

const DONE_PAGE =
  '<!doctype html><meta charset="utf-8"><title>factory</title><p>Done. You can close this tab and return to the terminal.</p>';
const USED_PAGE =
  '<!doctype html><meta charset="utf-8"><title>factory</title><p>This sign-in link was already used.</p>';

/**
 * Starts the listener. Binds 127.0.0.1 only (never all interfaces: the code in the redirect is a
 * credential) and answers the browser with a page that holds nothing from the request.
 */
export async function startLoopbackRedirect(options: LoopbackRedirectOptions): Promise<LoopbackRedirect> {
  const path = options.path ?? '/callback';
  let settle: (outcome: RedirectOutcome) => void = () => {};
  const outcome = new Promise<RedirectOutcome>((resolve) => {
    settle = resolve;
  });
  let settled = false;
  const finish = (result: RedirectOutcome) => {
    if (settled) return;
    settled = true;
    settle(result);
  };

  const app = new Hono();
  // One request per connection: a kept-alive browser socket would hold close() open for seconds.
  app.use('*', async (c, next) => {
    await next();
    c.header('connection', 'close');
  });
  app.get(path, (c) => {
    if (settled) return c.html(USED_PAGE, 410);
    finish({ kind: 'redirect', url: new URL(c.req.url) });
    return c.html(DONE_PAGE, 200);
  });
  app.all('*', (c) => c.text('not found', 404));

  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const timer = setTimeout(() => finish({ kind: 'timeout' }), options.timeoutMs);
  const onAbort = () => finish({ kind: 'aborted' });
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      finish({ kind: 'aborted' });
      // Idle keep-alive sockets would hold close() open; a request still in flight is allowed to finish.
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      server.close(() => resolve());
    });
    return closing;
  };

  return { redirectUri: `http://127.0.0.1:${port}${path}`, outcome, close };
}
