import {
  clarificationChannelConformance,
  sampleWorkItem,
  webhookSourceConformance,
} from '@software-factory/sdk/testing';
import { SlackClarificationChannel } from '../../src/slack/clarification-channel.ts';
import { SlackWebhookSource } from '../../src/slack/webhook-source.ts';
import { noWaiting, removableToken } from '../support/conformance.ts';
import { fixtureJson, slackSignature } from '../support/fixtures.ts';
import { SlackServer } from '../support/slack-server.ts';

const SECRET = 'slack-signing-secret';
const TOKEN = 'xoxb-test-token';

webhookSourceConformance(
  'SlackWebhookSource',
  async () => {
    // Channel members answer by default: the source asks Slack who is in the channel.
    const server = await new SlackServer().start();
    const members = new SlackClarificationChannel({ apiUrl: server.url, token: TOKEN, retry: noWaiting })
      .members;
    return {
      source: new SlackWebhookSource({ signingSecret: SECRET, channel: 'C111', members }),
      deliver({ sentAt, delivery = 1, secret = SECRET, body }) {
        // Delivery n: another reply in the captured thread, with its own event id.
        const reply = fixtureJson<{ event: Record<string, unknown> }>(
          'slack/event_callback.message.thread_reply.channel.json',
        );
        const ts = `1726133700.${String(887259 + delivery).padStart(6, '0')}`;
        const sent =
          body ??
          JSON.stringify({
            ...reply,
            event: { ...reply.event, ts, event_ts: ts },
            event_id: `Ev0${delivery.toString().padStart(8, '0')}`,
          });
        const timestamp = String(Math.floor(sentAt / 1000));
        return {
          body: sent,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
            'x-slack-request-timestamp': timestamp,
            'x-slack-signature': slackSignature(secret, timestamp, sent),
          },
        };
      },
      calls: () => server.calls.length,
      close: () => server.stop(),
    };
  },
  { timestampToleranceMs: 300_000 },
);

clarificationChannelConformance('SlackClarificationChannel', async () => {
  const server = await new SlackServer().start();
  const token = removableToken(TOKEN);
  return {
    channel: new SlackClarificationChannel({
      channel: 'C0FACTORY',
      apiUrl: server.url,
      token: token.source,
      retry: noWaiting,
    }),
    item: sampleWorkItem({
      id: 'item-1',
      key: 'ENG-7',
      title: 'Export as JSON',
      source: { provider: 'linear', externalId: 'item-1', url: 'https://linear.app/acme/issue/ENG-7' },
    }),
    messages: () => server.messages.map((message) => message.text),
    stopVendor: () => server.stop(),
    credential: { remove: token.remove, revoke: () => server.tokens.clear() },
    close: () => server.stop(),
  };
});
