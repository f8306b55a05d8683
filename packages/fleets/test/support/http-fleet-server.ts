import { createHmac, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { type AfterApply, hang, type Loopback, type LoopbackApp, listen } from './loopback.ts';

export interface FleetAgent {
  agentId: string;
  idempotencyKey: string;
  /** The W3C `traceparent` header the spawn came with. */
  traceparent?: string;
  body: Record<string, unknown>;
  status: 'running' | 'exited' | 'failed' | 'lost';
  exitCode?: number;
  released: boolean;
}

/**
 * The receiving side of the HTTP fleet protocol as a team would write it from the README: it checks
 * the signature with node:crypto (not with the package's own code), de-duplicates spawns by
 * Idempotency-Key, and can be told to lose its answer after applying a spawn.
 */
export class HttpFleetServer {
  readonly agents = new Map<string, FleetAgent>();
  readonly rejected: string[] = [];
  spawnRequests = 0;
  /** What happens to the answer of the next spawns, one entry per request. */
  readonly spawnFaults: AfterApply[] = [];
  #loopback: Loopback | undefined;

  readonly secret: string;
  readonly now: () => number;

  constructor(secret: string, now: () => number = Date.now) {
    this.secret = secret;
    this.now = now;
  }

  get url(): string {
    if (!this.#loopback) throw new Error('server not started');
    return `${this.#loopback.url}/fleet`;
  }

  async start(): Promise<this> {
    this.#loopback = await listen(this.#app());
    return this;
  }

  close(): Promise<void> {
    return this.#loopback?.close() ?? Promise.resolve();
  }

  agentsFor(workItemId: string): FleetAgent[] {
    return [...this.agents.values()].filter((agent) => agent.body.workItemId === workItemId);
  }

  #verified(headers: Headers, content: string): string | undefined {
    const timestamp = headers.get('x-factory-timestamp') ?? '';
    const signature = headers.get('x-factory-signature') ?? '';
    if (!/^\d+$/.test(timestamp)) return 'bad timestamp';
    if (Math.abs(this.now() / 1000 - Number(timestamp)) > 300) return 'stale timestamp';
    const expected = `sha256=${createHmac('sha256', this.secret).update(`${timestamp}.${content}`).digest('hex')}`;
    const left = Buffer.from(expected);
    const right = Buffer.from(signature);
    if (left.length !== right.length || !timingSafeEqual(left, right)) return 'bad signature';
    return undefined;
  }

  #app(): LoopbackApp {
    const app: LoopbackApp = new Hono();
    app.post('/fleet/agents', async (c) => {
      const raw = await c.req.text();
      const problem = this.#verified(c.req.raw.headers, raw);
      if (problem) {
        this.rejected.push(problem);
        return c.json({ error: problem }, 401);
      }
      this.spawnRequests++;
      const key = c.req.header('idempotency-key');
      if (!key) return c.json({ error: 'Idempotency-Key required' }, 400);
      const body = JSON.parse(raw) as Record<string, unknown>;
      if (body.idempotencyKey !== key) return c.json({ error: 'Idempotency-Key differs from body' }, 400);
      let agent = [...this.agents.values()].find((candidate) => candidate.idempotencyKey === key);
      if (!agent) {
        agent = {
          agentId: `fleet-agent-${this.agents.size + 1}`,
          idempotencyKey: key,
          ...(c.req.header('traceparent') ? { traceparent: c.req.header('traceparent') } : {}),
          body,
          status: 'running',
          released: false,
        };
        this.agents.set(agent.agentId, agent);
      }
      const fault = this.spawnFaults.shift() ?? 'answer';
      if (fault === 'hang') return hang();
      if (fault === 'drop') {
        c.env.incoming.socket.destroy();
        return hang();
      }
      if (fault === 'fail-502') return c.json({ error: 'upstream failed after applying' }, 502);
      return c.json({ agentId: agent.agentId }, 201);
    });
    app.get('/fleet/agents/:id', (c) => {
      const problem = this.#verified(c.req.raw.headers, `GET ${new URL(c.req.url).pathname}`);
      if (problem) {
        this.rejected.push(problem);
        return c.json({ error: problem }, 401);
      }
      const agent = this.agents.get(c.req.param('id'));
      if (!agent) return c.json({ error: 'unknown agent' }, 404);
      return c.json({
        agentId: agent.agentId,
        status: agent.status,
        ...(agent.exitCode !== undefined ? { exitCode: agent.exitCode } : {}),
      });
    });
    app.delete('/fleet/agents/:id', (c) => {
      const problem = this.#verified(c.req.raw.headers, `DELETE ${new URL(c.req.url).pathname}`);
      if (problem) {
        this.rejected.push(problem);
        return c.json({ error: problem }, 401);
      }
      const agent = this.agents.get(c.req.param('id'));
      if (!agent) return c.json({ error: 'unknown agent' }, 404);
      agent.released = true;
      return c.body(null, 204);
    });
    return app;
  }
}
