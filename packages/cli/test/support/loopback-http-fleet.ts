import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { verifyFleetSignature } from '@software-factory/fleets';
import { Hono } from 'hono';

/**
 * The receiving side of the HTTP fleet protocol (@software-factory/fleets' README) on 127.0.0.1: checks every
 * signature, answers a repeated Idempotency-Key with the first agent, and records each request.
 */
export class LoopbackHttpFleet {
  readonly requests: { method: string; path: string; body: string; idempotencyKey?: string }[] = [];
  readonly #agents = new Map<string, string>();
  readonly #secret: string;
  #close: (() => Promise<void>) | undefined;
  url = '';

  constructor(secret: string) {
    this.#secret = secret;
  }

  async start(): Promise<this> {
    const app = new Hono();
    app.all('*', async (c) => {
      const path = new URL(c.req.url).pathname;
      const body = await c.req.text();
      const content = body || `${c.req.method} ${path}`;
      const check = await verifyFleetSignature(this.#secret, c.req.raw.headers, content, Date.now());
      if (!check.ok) return c.json({ error: check.reason }, 401);
      const idempotencyKey = c.req.header('idempotency-key');
      this.requests.push({ method: c.req.method, path, body, ...(idempotencyKey ? { idempotencyKey } : {}) });
      if (c.req.method === 'POST' && path.endsWith('/agents')) {
        const key = idempotencyKey ?? '';
        const agentId = this.#agents.get(key) ?? `agent-${this.#agents.size + 1}`;
        this.#agents.set(key, agentId);
        return c.json({ agentId }, 201);
      }
      if (c.req.method === 'GET') return c.json({ status: 'running' });
      return c.body(null, 204);
    });
    await new Promise<void>((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        this.url = `http://127.0.0.1:${info.port}/factory`;
        resolve();
      });
      this.#close = () =>
        new Promise<void>((done) => {
          server.close(() => done());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
    });
    return this;
  }

  /** Requests that change something on the fleet's side. */
  writes(): { method: string; path: string; body: string }[] {
    return this.requests.filter((request) => request.method !== 'GET');
  }

  async stop(): Promise<void> {
    await this.#close?.();
  }
}
