import { webhookSourceConformance, workItemProviderConformance } from '@software-factory/sdk/testing';
import { LinearWebhookSource } from '../../src/linear/webhook-source.ts';
import { LinearWorkItemProvider } from '../../src/linear/work-item-provider.ts';
import { noWaiting, removableToken } from '../support/conformance.ts';
import { fixtureJson, linearSignature } from '../support/fixtures.ts';
import { defaultStates, LinearServer } from '../support/linear-server.ts';

const SECRET = 'lin_wh_test_secret';
const TOKEN = 'lin_oauth_test_token';
const ISSUE_ID = '9cfb482a-81e3-4154-b5b9-2c805e70a02d';

/** A Linear workspace with ENG-42 in Todo, labelled factory: ready for an agent. */
async function linearWithReadyIssue(): Promise<LinearServer> {
  const server = await new LinearServer().start();
  server.addTeam({ id: 'team-eng', key: 'ENG', name: 'Engineering', states: defaultStates('eng') });
  server.labels.set('label-factory', { id: 'label-factory', name: 'factory', teamId: 'team-eng' });
  server.labels.set('label-wip', { id: 'label-wip', name: 'factory:in-progress', teamId: 'team-eng' });
  server.addIssue({
    id: ISSUE_ID,
    identifier: 'ENG-42',
    number: 42,
    title: 'Export as JSON',
    description: 'The export command should print JSON when --json is passed.',
    url: 'https://linear.app/acme/issue/ENG-42/export-as-json',
    updatedAt: '2026-01-01T10:00:00.000Z',
    priority: 2,
    stateId: 'eng-todo',
    teamId: 'team-eng',
    labels: [{ id: 'label-factory', name: 'factory' }],
  });
  return server;
}

webhookSourceConformance(
  'LinearWebhookSource',
  async () => {
    const server = await new LinearServer().start();
    const provider = new LinearWorkItemProvider({ apiUrl: server.url, token: TOKEN, retry: noWaiting });
    return {
      source: new LinearWebhookSource({ secret: SECRET, provider }),
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

workItemProviderConformance('LinearWorkItemProvider', async () => {
  const server = await linearWithReadyIssue();
  const token = removableToken(TOKEN);
  return {
    provider: new LinearWorkItemProvider({
      apiUrl: server.url,
      token: token.source,
      retry: noWaiting,
      markers: { inProgress: 'factory:in-progress' },
    }),
    readyItem: 'ENG-42',
    absentItem: 'ENG-999',
    writes: () => server.updateInputs.length + server.comments.size,
    comments: () => [...server.comments.values()].map((comment) => comment.body),
    stopVendor: () => server.stop(),
    credential: { remove: token.remove, revoke: () => server.tokens.clear() },
    close: () => server.stop(),
  };
});
