import { createHmac } from 'node:crypto';
import { fleetClientConformance, webhookSourceConformance } from '@software-factory/sdk/testing';
import { FleetWebhookSource, HttpFleet } from '../../src/index.ts';
import { HttpFleetServer } from '../support/http-fleet-server.ts';
import { recordingSleep } from '../support/no-sleep.ts';

const SECRET = 'fleet-signing-secret-for-tests';

fleetClientConformance('HttpFleet', async () => {
  const server = await new HttpFleetServer(SECRET).start();
  return {
    fleet: new HttpFleet({ url: server.url, secret: SECRET, sleep: recordingSleep().sleep }),
    backend: () => ({
      started: server.agents.size,
      running: [...server.agents.values()].filter((agent) => agent.status === 'running' && !agent.released)
        .length,
    }),
    close: () => server.close(),
  };
});

webhookSourceConformance(
  'FleetWebhookSource',
  async () => ({
    source: new FleetWebhookSource({ secret: SECRET }),
    deliver({ sentAt, delivery = 1, secret = SECRET, body }) {
      // Delivery n: the exit of agent n, as the README's protocol describes a lifecycle callback.
      const sent =
        body ??
        JSON.stringify({
          agentId: `fleet-agent-${delivery}`,
          workItemId: `item-${delivery}`,
          status: 'exited',
          exitCode: 0,
          eventId: `evt-${delivery}`,
        });
      // Signed as a team's fleet would sign it, with node:crypto rather than the package's own code.
      const timestamp = Math.floor(sentAt / 1000);
      const signature = createHmac('sha256', secret).update(`${timestamp}.${sent}`).digest('hex');
      return {
        body: sent,
        headers: {
          'content-type': 'application/json',
          'x-factory-timestamp': String(timestamp),
          'x-factory-signature': `sha256=${signature}`,
        },
      };
    },
    calls: () => 0,
  }),
  { timestampToleranceMs: 5 * 60 * 1000 },
);
