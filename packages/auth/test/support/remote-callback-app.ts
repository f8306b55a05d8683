import { ConnectRefusedError, type RemoteConnector } from '@software-factory/sdk';
import { Hono } from 'hono';
import { listen } from './loopback.ts';

/**
 * The deployed app's callback route and nothing else, on 127.0.0.1: the vendor's redirect lands here as
 * it would on `GET /t/:tenant/connect/:provider/callback`. Answers the connection, or the refusal's
 * status and message.
 */
export interface CallbackApp {
  url: string;
  callbackUri(tenant: string, provider: string): string;
  close(): Promise<void>;
}

export async function startCallbackApp(
  connectors: ReadonlyMap<string, RemoteConnector>,
): Promise<CallbackApp> {
  const app = new Hono();
  app.get('/t/:tenant/connect/:provider/callback', async (c) => {
    const connector = connectors.get(c.req.param('tenant'));
    if (!connector) return c.json({ error: 'no such tenant' }, 404);
    try {
      const status = await connector.callback(c.req.param('provider'), new URL(c.req.url));
      return c.json({ status });
    } catch (error) {
      if (error instanceof ConnectRefusedError) return c.json({ error: error.message }, error.status);
      throw error;
    }
  });
  const server = await listen(app);
  return {
    url: server.url,
    callbackUri: (tenant, provider) => `${server.url}/t/${tenant}/connect/${provider}/callback`,
    close: server.close,
  };
}
