import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { CliError } from './cli-error.ts';

export interface Listening {
  host: string;
  port: number;
  /** Stops accepting connections, lets requests in flight finish, then resolves. */
  close(): Promise<void>;
}

/**
 * Serves a fetch handler on Node's HTTP server; a port in use or a bad host is a one-line CliError. The
 * handler gets Node's bindings (`incoming`, `outgoing`) as its env, so a hono app can read the peer's
 * address with `getConnInfo`.
 */
export async function listen(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
  host: string,
  port: number,
  onRequest?: (request: Request) => void,
): Promise<Listening> {
  const server = createAdaptorServer({
    fetch: (request: Request, env: unknown) => {
      onRequest?.(request);
      return fetch(request, env);
    },
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new CliError(listenFailure(error, host, port)));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    host,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive connections would hold close() open until they time out: drop each one as soon as
        // it is idle. A connection still being answered keeps going until its answer is sent.
        const dropIdle = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearInterval(dropIdle);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

function listenFailure(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use; stop what uses it, or choose another with --port or server.port`;
    case 'EACCES':
      return `not allowed to listen on ${host}:${port}; choose a port above 1023 with --port or server.port`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `cannot listen on ${host}: no such address on this machine (check server.host)`;
    default:
      return `cannot listen on ${host}:${port}: ${error.message}`;
  }
}
