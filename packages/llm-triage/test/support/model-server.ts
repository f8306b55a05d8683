import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';

export interface RecordedRequest {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/**
 * A scripted answer: a JSON response, or holding the request open until the client gives up. Tests
 * that hold give the client a generous timeout, so the request surely arrives before it is abandoned.
 */
export type ScriptedAnswer =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { hold: true };

/**
 * A model API on 127.0.0.1 (port 0) speaking the Anthropic Messages route and the OpenAI chat
 * completions route. It records every request and answers from a script, one answer per request;
 * a request beyond the script gets a 500 so a test that calls more than it expects fails loudly.
 */
export class ModelServer {
  readonly requests: RecordedRequest[] = [];
  readonly #script: ScriptedAnswer[] = [];
  readonly #held = new Set<() => void>();
  #server: ServerType | undefined;
  #url = '';

  get url(): string {
    return this.#url;
  }

  /** Queues answers for the next requests, in order. */
  answer(...answers: ScriptedAnswer[]): this {
    this.#script.push(...answers);
    return this;
  }

  async start(): Promise<string> {
    const app = new Hono();
    const handle = async (path: string, request: Request): Promise<Response> => {
      const body = (await request.json()) as Record<string, unknown>;
      this.requests.push({ path, headers: Object.fromEntries(request.headers), body });
      const next = this.#script.shift();
      if (!next) return Response.json({ error: 'no scripted answer left' }, { status: 500 });
      if ('hold' in next) {
        await new Promise<void>((release) => {
          this.#held.add(release);
          request.signal.addEventListener('abort', () => release());
        });
        return Response.json({ error: 'released' }, { status: 500 });
      }
      return Response.json(next.body, { status: next.status, headers: next.headers });
    };
    app.post('/v1/messages', (c) => handle('/v1/messages', c.req.raw));
    app.post('/v1/chat/completions', (c) => handle('/v1/chat/completions', c.req.raw));
    const server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    for (const release of this.#held) release();
    this.#held.clear();
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      if ('closeAllConnections' in server) server.closeAllConnections();
    });
  }
}
