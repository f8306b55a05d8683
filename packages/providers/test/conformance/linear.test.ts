import { webhookSourceConformance, workItemProviderConformance } from '@software-factory/sdk/testing';
import { LinearWebhookSource } from '../../src/linear/webhook-source.ts';
import { fixtureJson, linearSignature } from '../support/fixtures.ts';
import { LinearServer } from '../support/linear-server.ts';
import { linearProvider, openLinearTracker } from '../support/tracker-worlds.ts';

const SECRET = 'lin_wh_test_secret';

webhookSourceConformance(
  'LinearWebhookSource',
  async () => {
    const server = await new LinearServer().start();
    return {
      source: new LinearWebhookSource({ secret: SECRET, provider: linearProvider(server) }),
      deliver({ sentAt, delivery = 1, secret = SECRET, body }) {
        // Delivery n: the captured Issue create, as the issue stood n seconds later.
        const created = fixtureJson<{ data: Record<string, unknown> }>(
          'linear/issue.create.korosuke613.json',
        );
        const updatedAt = new Date(Date.parse(String(created.data.updatedAt)) + delivery * 1000);
        const sent =
          body ??
          JSON.stringify({
            ...created,
            data: { ...created.data, updatedAt: updatedAt.toISOString() },
            webhookTimestamp: sentAt,
          });
        return {
          body: sent,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'user-agent': 'Linear-Webhook',
            'linear-delivery': `0c1c5a52-4b8a-4a4c-9d6c-${delivery.toString(16).padStart(12, '0')}`,
            'linear-event': 'Issue',
            'linear-signature': linearSignature(secret, sent),
          },
        };
      },
      calls: () => server.operations.length,
      close: () => server.stop(),
    };
  },
  { timestampToleranceMs: 60_000 },
);

workItemProviderConformance('LinearWorkItemProvider', openLinearTracker);
