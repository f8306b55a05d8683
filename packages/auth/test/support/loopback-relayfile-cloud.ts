import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { listen } from './loopback.ts';

/**
 * A loopback relayfile cloud API with the routes `@relayfile/sdk`'s setup client calls
 * (AgentWorkforce/relayfile docs/agent-workspace-golden-path.md, "Cloud Contract"):
 * - `POST /api/v1/workspaces/:id/join` (cloud access token) → a workspace token (JWT) and URLs;
 * - `POST /api/v1/workspaces/:id/integrations/connect-session` (workspace token) → `{ token,
 *   expiresAt, connectLink, connectionId }` for the integrations in `allowedIntegrations`;
 * - `GET /api/v1/workspaces/:id/integrations/:provider/status?connectionId=` → `{ ready, state }`;
 * - `DELETE /api/v1/workspaces/:id/integrations/:provider/status` → disconnect.
 * The connect link is a page on this server: visiting it is the person finishing the vendor's OAuth,
 * after which the integration turns ready once relayfile has "synced" (`pollsBeforeReady` status calls).
 */
export const CLOUD_TOKEN = 'rfc_cloud_5d1f0a7c3e9b4d2a8f6c1e0b7a9d3c5f';

interface Connection {
  provider: string;
  workspaceId: string;
  authorised: boolean;
  pollsUntilReady: number;
}

export interface LoopbackRelayfileCloud {
  /** The cloud API base, like `https://agentrelay.com/cloud`. */
  cloudApiUrl: string;
  /** Status calls that still answer `ready: false` after the person authorised. */
  pollsBeforeReady: number;
  /** Answer every request with this HTTP status (an outage). */
  failWith?: number;
  requests: Array<{ method: string; path: string; authorization: string; body: unknown }>;
  /** Workspace tokens issued so far (secrets). */
  workspaceTokens(): string[];
  /** Connection ids by state. */
  connections(): Array<{ connectionId: string } & Connection>;
  /** Marks an integration connected without a person (e.g. connected from relayfile's own UI). */
  connectOutOfBand(workspaceId: string, provider: string): void;
  close(): Promise<void>;
}

export async function startLoopbackRelayfileCloud(): Promise<LoopbackRelayfileCloud> {
  const workspaceTokens = new Map<string, string>();
  const connections = new Map<string, Connection>();
  const sessions = new Map<string, string>();
  const app = new Hono().basePath('/cloud');

  const state: LoopbackRelayfileCloud = {
    cloudApiUrl: '',
    pollsBeforeReady: 2,
    requests: [],
    workspaceTokens: () => [...workspaceTokens.keys()],
    connections: () => [...connections.entries()].map(([connectionId, c]) => ({ connectionId, ...c })),
    connectOutOfBand: (workspaceId, provider) => {
      connections.set(workspaceId, { provider, workspaceId, authorised: true, pollsUntilReady: 0 });
    },
    close: async () => {},
  };

  app.use('*', async (c, next) => {
    const body =
      c.req.method === 'GET'
        ? undefined
        : await c.req.raw
            .clone()
            .json()
            .catch(() => undefined);
    state.requests.push({
      method: c.req.method,
      path: new URL(c.req.url).pathname + new URL(c.req.url).search,
      authorization: c.req.header('authorization') ?? '',
      body,
    });
    if (state.failWith) return c.json({ error: 'upstream unavailable' }, state.failWith as 503);
    await next();
  });

  const workspaceOf = (authorization: string | undefined): string | undefined =>
    workspaceTokens.get((authorization ?? '').replace(/^Bearer /, ''));

  app.post('/api/v1/workspaces/:id/join', async (c) => {
    if (c.req.header('authorization') !== `Bearer ${CLOUD_TOKEN}`)
      return c.json({ error: 'unauthorized' }, 401);
    const workspaceId = c.req.param('id');
    const token = `eyJhbGciOiJIUzI1NiJ9.${randomBytes(24).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
    workspaceTokens.set(token, workspaceId);
    return c.json({
      workspaceId,
      token,
      relayfileUrl: `${state.cloudApiUrl}/relayfile`,
      wsUrl: `${state.cloudApiUrl.replace('http', 'ws')}/relayfile/ws`,
      relaycastApiKey: `rk_${randomBytes(8).toString('hex')}`,
    });
  });

  app.post('/api/v1/workspaces/:id/integrations/connect-session', async (c) => {
    const workspaceId = c.req.param('id');
    if (workspaceOf(c.req.header('authorization')) !== workspaceId)
      return c.json({ error: 'forbidden' }, 403);
    const body = (await c.req.json()) as { allowedIntegrations?: string[] };
    const provider = body.allowedIntegrations?.[0];
    if (!provider || body.allowedIntegrations?.length !== 1) {
      return c.json({ error: 'exactly one allowed integration expected' }, 400);
    }
    const connectionId = `conn_${randomBytes(6).toString('hex')}`;
    const session = randomBytes(12).toString('hex');
    sessions.set(session, connectionId);
    connections.set(connectionId, {
      provider,
      workspaceId,
      authorised: false,
      pollsUntilReady: state.pollsBeforeReady,
    });
    return c.json({
      token: `nango_connect_session_${session}`,
      expiresAt: new Date(Date.UTC(2030, 0, 1)).toISOString(),
      connectLink: `${state.cloudApiUrl}/connect/${session}`,
      connectionId,
    });
  });

  app.get('/connect/:session', (c) => {
    const connectionId = sessions.get(c.req.param('session'));
    const connection = connectionId ? connections.get(connectionId) : undefined;
    if (!connection) return c.text('unknown or expired connect session', 404);
    connection.authorised = true;
    return c.html('<p>Connected. You can close this tab.</p>');
  });

  app.get('/api/v1/workspaces/:id/integrations/:provider/status', (c) => {
    const workspaceId = c.req.param('id');
    if (!workspaceOf(c.req.header('authorization'))) return c.json({ error: 'unauthorized' }, 401);
    const connectionId = c.req.query('connectionId') ?? '';
    const connection = connections.get(connectionId);
    if (
      !connection ||
      connection.workspaceId !== workspaceId ||
      connection.provider !== c.req.param('provider')
    ) {
      return c.json({ error: 'connection_not_found' }, 404);
    }
    if (!connection.authorised) return c.json({ ready: false, state: 'not_connected' });
    if (connection.pollsUntilReady > 0) {
      connection.pollsUntilReady -= 1;
      return c.json({ ready: false, state: 'sync_queued' });
    }
    return c.json({ ready: true, state: 'ready' });
  });

  app.delete('/api/v1/workspaces/:id/integrations/:provider/status', (c) => {
    const workspaceId = c.req.param('id');
    if (workspaceOf(c.req.header('authorization')) !== workspaceId)
      return c.json({ error: 'forbidden' }, 403);
    for (const [id, connection] of connections) {
      if (connection.workspaceId === workspaceId && connection.provider === c.req.param('provider'))
        connections.delete(id);
    }
    return c.json({ ok: true });
  });

  const server = await listen(app);
  state.cloudApiUrl = `${server.url}/cloud`;
  state.close = server.close;
  return state;
}
