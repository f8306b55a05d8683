import { Hono } from 'hono';
import { type AfterApply, hang, type Loopback, type LoopbackApp, listen } from './loopback.ts';

export interface RosterAgent {
  id: string;
  name: string;
  type: 'agent' | 'human' | 'system';
  status: 'online' | 'offline' | 'away';
  persona: string | null;
  metadata: Record<string, unknown>;
  last_seen: string;
  created_at: string;
  token: string;
}

export interface RelayNodeRecord {
  id: string;
  name: string;
  status: 'online' | 'offline';
  live: boolean;
  capabilities: { name: string }[];
  repo_keys: string[];
}

export interface Invocation {
  action: string;
  caller: string;
  input: Record<string, unknown>;
}

/**
 * The Agent Relay (Relaycast) HTTP API as `@agent-relay/sdk` calls it for roster, nodes and actions:
 * `{ ok, data }` envelopes, snake_case on the wire, the workspace key for workspace routes and an agent
 * token for action invocations. A `spawn` invocation stands in for the node: the agent joins the roster.
 */
export class AgentRelayServer {
  readonly roster = new Map<string, RosterAgent>();
  readonly nodes: RelayNodeRecord[] = [];
  readonly invocations: Invocation[] = [];
  readonly registrations: string[] = [];
  readonly invokeFaults: AfterApply[] = [];
  #loopback: Loopback | undefined;
  #ids = 0;
  readonly workspaceKey: string;

  constructor(workspaceKey: string) {
    this.workspaceKey = workspaceKey;
  }

  get url(): string {
    if (!this.#loopback) throw new Error('server not started');
    return this.#loopback.url;
  }

  async start(): Promise<this> {
    this.#loopback = await listen(this.#app());
    return this;
  }

  close(): Promise<void> {
    return this.#loopback?.close() ?? Promise.resolve();
  }

  addNode(name: string, options: { capabilities: string[]; repos?: string[]; live?: boolean }): void {
    const live = options.live ?? true;
    this.nodes.push({
      id: `node_${name}`,
      name,
      status: live ? 'online' : 'offline',
      live,
      capabilities: options.capabilities.map((capability) => ({ name: capability })),
      repo_keys: options.repos ?? [],
    });
  }

  spawnsOf(name: string): Invocation[] {
    return this.invocations.filter(
      (invocation) => invocation.action === 'spawn' && invocation.input.name === name,
    );
  }

  #register(name: string, type: RosterAgent['type'], metadata: Record<string, unknown> = {}): RosterAgent {
    const now = new Date().toISOString();
    const agent: RosterAgent = {
      id: `agent_${++this.#ids}`,
      name,
      type,
      status: 'online',
      persona: null,
      metadata,
      last_seen: now,
      created_at: now,
      token: `at_live_${this.#ids}_${Math.random().toString(16).slice(2)}`,
    };
    this.roster.set(name, agent);
    return agent;
  }

  #app(): LoopbackApp {
    const app: LoopbackApp = new Hono();
    const ok = (data: unknown) => ({ ok: true, data });
    const fail = (code: string, message: string) => ({ ok: false, error: { code, message } });
    const publicAgent = ({ token: _token, ...agent }: RosterAgent) => agent;
    const bearer = (header: string | undefined) => header?.replace(/^Bearer /, '');
    const callerOf = (header: string | undefined) =>
      [...this.roster.values()].find((agent) => agent.token === bearer(header));

    for (const path of ['/v1/agents', '/v1/agents/*', '/v1/nodes']) {
      app.use(path, async (c, next) => {
        if (bearer(c.req.header('authorization')) !== this.workspaceKey)
          return c.json(fail('unauthorized', 'Invalid workspace key'), 401);
        await next();
      });
    }

    app.post('/v1/agents', async (c) => {
      const body = (await c.req.json()) as { name?: string; type?: RosterAgent['type'] };
      if (!body.name) return c.json(fail('invalid_request', 'name is required'), 400);
      if (this.roster.has(body.name))
        return c.json(fail('name_conflict', `Agent "${body.name}" already exists`), 409);
      this.registrations.push(body.name);
      const agent = this.#register(body.name, body.type ?? 'agent');
      return c.json(
        ok({
          id: agent.id,
          name: agent.name,
          token: agent.token,
          status: agent.status,
          created_at: agent.created_at,
        }),
        201,
      );
    });
    app.get('/v1/agents/:name', (c) => {
      const agent = this.roster.get(c.req.param('name'));
      if (!agent) return c.json(fail('agent_not_found', `Agent "${c.req.param('name')}" not found`), 404);
      return c.json(ok(publicAgent(agent)));
    });
    app.post('/v1/agents/:name/rotate-token', (c) => {
      const agent = this.roster.get(c.req.param('name'));
      if (!agent) return c.json(fail('agent_not_found', 'not found'), 404);
      agent.token = `at_live_rotated_${++this.#ids}`;
      this.registrations.push(`${agent.name} (rotated)`);
      return c.json(ok({ token: agent.token }));
    });
    app.get('/v1/nodes', (c) => {
      const capability = c.req.query('capability');
      return c.json(
        ok(
          this.nodes.filter(
            (node) => !capability || node.capabilities.some((item) => item.name === capability),
          ),
        ),
      );
    });

    app.post('/v1/actions/:action/invoke', async (c) => {
      const caller = callerOf(c.req.header('authorization'));
      if (!caller) return c.json(fail('agent_token_invalid', 'Invalid agent token'), 401);
      const action = c.req.param('action');
      const { input = {} } = (await c.req.json()) as { input?: Record<string, unknown> };
      const name = typeof input.name === 'string' ? input.name : '';
      if (action === 'release') {
        const agent = this.roster.get(name);
        if (!agent) return c.json(fail('agent_not_found', `Agent "${name}" not found`), 404);
        this.invocations.push({ action, caller: caller.name, input });
        agent.status = 'offline';
        return c.json(ok(this.#ack(action, input, undefined)), 202);
      }
      if (action !== 'spawn') return c.json(fail('not_found', `Action "${action}" not found`), 404);
      if (!name || typeof input.task !== 'string' || typeof input.cli !== 'string')
        return c.json(fail('invalid_request', 'spawn needs name, cli and task'), 400);
      const node = this.nodes.find((candidate) => candidate.name === input.target_node);
      if (!node?.live) return c.json(fail('node_offline', 'target node is offline'), 409);
      this.invocations.push({ action, caller: caller.name, input });
      if (!this.roster.has(name))
        this.#register(name, 'agent', (input.metadata as Record<string, unknown>) ?? {});
      const fault = this.invokeFaults.shift() ?? 'answer';
      if (fault === 'hang') return hang();
      if (fault === 'drop') {
        c.env.incoming.socket.destroy();
        return hang();
      }
      if (fault === 'fail-502') return c.json(fail('bad_gateway', 'upstream failed'), 502);
      return c.json(ok(this.#ack(action, input, node.id)), 202);
    });
    return app;
  }

  #ack(action: string, input: Record<string, unknown>, nodeId: string | undefined) {
    return {
      invocation_id: `inv_${++this.#ids}`,
      action_name: action,
      handler_agent_id: null,
      handler_node_id: nodeId ?? null,
      dispatched_node_id: nodeId ?? null,
      input,
      status: 'dispatched',
      created_at: new Date().toISOString(),
    };
  }
}
