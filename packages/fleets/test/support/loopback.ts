import type { AddressInfo } from 'node:net';
import { type HttpBindings, serve } from '@hono/node-server';
import type { Hono } from 'hono';

export type LoopbackApp = Hono<{ Bindings: HttpBindings }>;

export interface Loopback {
  url: string;
  close(): Promise<void>;
}

/** Serves `app` on 127.0.0.1 at a free port; `close` also drops connections a test left hanging. */
export async function listen(app: LoopbackApp): Promise<Loopback> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a fault-injecting server does after it applied a request. */
export type AfterApply = 'answer' | 'hang' | 'drop' | 'fail-502';

/** Never settles: the client's own timeout has to end the exchange. */
export function hang(): Promise<Response> {
  return new Promise(() => {});
}
