import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

export interface Loopback {
  url: string;
  close(): Promise<void>;
}

/** Serves a hono app on 127.0.0.1 at a free port. */
export function listen(app: Hono): Promise<Loopback> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
  });
}

/** A canned answer a loopback server gives instead of its normal one, for the next matching call. */
export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Queued faults by a match key (a method name, a path or an operation name), consumed in order. */
export class FaultQueue {
  readonly #queue: { match: string; fault: Fault }[] = [];

  add(match: string, ...faults: Fault[]): void {
    for (const fault of faults) this.#queue.push({ match, fault });
  }

  take(key: string): Fault | undefined {
    const index = this.#queue.findIndex((entry) => entry.match === key || entry.match === '*');
    if (index < 0) return undefined;
    return this.#queue.splice(index, 1)[0]?.fault;
  }

  get pending(): number {
    return this.#queue.length;
  }
}

export function faultResponse(fault: Fault): Response {
  const body =
    fault.body === undefined ? '' : typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
  return new Response(body, {
    status: fault.status,
    headers: { 'content-type': 'application/json', ...fault.headers },
  });
}

export function newApp(): Hono {
  return new Hono();
}

/** Records sleeps instead of waiting, so retry tests take no time. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}
