import { WebhookError } from '@software-factory/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinearWebhookSource } from '../src/linear/webhook-source.ts';
import { LinearWorkItemProvider } from '../src/linear/work-item-provider.ts';
import { fixtureJson, fixtureText, linearSignature } from './support/fixtures.ts';
import { defaultStates, LinearServer } from './support/linear-server.ts';
import { incoming } from './support/webhooks.ts';

const SECRET = 'lin_wh_test_secret';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');

function source(provider = new LinearWorkItemProvider()) {
  return new LinearWebhookSource({ secret: SECRET, provider });
}

/** A real captured payload, given the `webhookTimestamp` current deliveries carry. */
function delivery(fixture: string, changes: Record<string, unknown> = {}, sentAt = NOW) {
  const payload: Record<string, unknown> = {
    ...fixtureJson(`linear/${fixture}`),
    webhookTimestamp: sentAt,
    ...changes,
  };
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'linear-signature': linearSignature(SECRET, body),
      'linear-delivery': 'd-1',
      'linear-event': String(payload.type),
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

describe('Linear-Signature', () => {
  const vector = fixtureJson<{
    vectors: { secret: string; expected_linear_signature: string; webhookTimestamp_in_body: number }[];
  }>('linear/signature-vectors.json').vectors[0]!;
  const body = fixtureText('linear/signing-vector.docs-comment.body.json');
  const signed = new LinearWebhookSource({ secret: vector.secret, provider: new LinearWorkItemProvider() });

  it('verifies the signing vector over the docs example body (Linear publishes none; computed in the fixtures)', async () => {
    const request = incoming(
      body,
      { 'linear-signature': vector.expected_linear_signature },
      vector.webhookTimestamp_in_body + 5_000,
    );
    await expect(signed.verify(request)).resolves.toBeUndefined();
  });

  // Another secret, no signature, another body, and the one-minute window: the WebhookSource conformance
  // suite (conformance/linear.test.ts).
  it('refuses a signed delivery without webhookTimestamp (older payloads): it cannot be told from a replay', async () => {
    const body = fixtureText('linear/issue.create.korosuke613.json');
    const unstamped = incoming(body, { 'linear-signature': linearSignature(SECRET, body) }, NOW);
    expect((await rejection(source().verify(unstamped))).message).toContain('missing webhookTimestamp');
  });
});

describe('Issue webhooks', () => {
  it('turn a created issue into work-item.changed with the delivery id', async () => {
    const { body, headers } = delivery('issue.create.korosuke613.json');
    const result = await source().interpret(incoming(body, headers, NOW));
    expect(result.deliveryId).toBe('d-1');
    expect(result.events).toEqual([
      {
        type: 'work-item.changed',
        item: {
          id: '236e0fe8-xxxx-xxxx-xxxx-b2df06e33810',
          key: 'KOR-11',
          title: 'webhook test',
          description: '',
          state: 'backlog',
          labels: [],
          team: 'KOR',
          updatedAt: '2021-01-30T11:19:39.427Z',
          source: {
            provider: 'linear',
            externalId: '236e0fe8-xxxx-xxxx-xxxx-b2df06e33810',
            url: 'https://linear.app/korosuke613/issue/KOR-11/webhook-test',
          },
          metadata: {
            linearStateId: 'c02edc3a-xxxx-xxxx-xxxx-85c349766a13',
            linearStateName: 'Backlog',
            linearStateType: 'backlog',
            linearTeamId: 'eeaa0cbd-xxxx-xxxx-xxxx-1c701c3485f1',
          },
        },
      },
    ]);
  });

  it('read the new state of an updated issue, and label names and identifier where current payloads carry them', async () => {
    const update = fixtureJson('linear/issue.update.cycle-and-state.korosuke613.json') as {
      data: Record<string, unknown>;
    };
    const { body, headers } = delivery('issue.update.cycle-and-state.korosuke613.json', {
      data: {
        ...update.data,
        identifier: 'KOR-11',
        labels: [{ id: 'l1', name: 'factory', color: '#fff' }],
        project: { id: 'p1', name: 'Webhooks', url: 'https://linear.app/p' },
      },
    });
    const [event] = (await source().interpret(incoming(body, headers, NOW))).events;
    expect(event).toMatchObject({
      type: 'work-item.changed',
      item: {
        key: 'KOR-11',
        state: 'todo',
        labels: ['factory'],
        project: 'Webhooks',
        updatedAt: '2021-01-30T11:24:17.747Z',
      },
    });
  });

  it('read a removed issue as cancelled and never ready', async () => {
    const provider = new LinearWorkItemProvider({ readyStates: ['Todo'], requiredLabels: [] });
    const update = fixtureJson('linear/issue.update.cycle-and-state.korosuke613.json') as {
      data: Record<string, unknown>;
    };
    const { body, headers } = delivery('issue.update.cycle-and-state.korosuke613.json', {
      action: 'remove',
      createdAt: '2021-01-30T12:00:00.000Z',
      data: update.data,
    });
    const [event] = (await source(provider).interpret(incoming(body, headers, NOW))).events;
    if (event?.type !== 'work-item.changed') throw new Error('expected a work item change');
    expect(event.item.state).toBe('cancelled');
    expect(event.item.updatedAt).toBe('2021-01-30T12:00:00.000Z');
    expect(provider.isReadyForDispatch(event.item)).toBe(false);
  });

  it('are answered 400 when the issue lacks what a work item needs', async () => {
    const { body, headers } = delivery('issue.create.korosuke613.json', {
      data: { id: 'x', title: 'no state' },
    });
    const error = await rejection(source().interpret(incoming(body, headers, NOW)));
    expect(error.status).toBe(400);
    expect(error.message).toContain('state');
  });

  it('are answered 400 when data is not an object', async () => {
    for (const data of [['an', 'array'], 'text']) {
      const { body, headers } = delivery('issue.create.korosuke613.json', { data });
      const error = await rejection(source().interpret(incoming(body, headers, NOW)));
      expect(error.status).toBe(400);
      expect(error.message).toBe('not a Linear webhook payload: data: Invalid input: expected an object');
    }
  });
});

describe('other webhooks', () => {
  it('ignore comments and other entity types with a reason', async () => {
    for (const fixture of ['comment.create.docs-example.json', 'comment.create.korosuke613.json']) {
      const { body, headers } = delivery(fixture);
      const result = await source().interpret(incoming(body, headers, NOW));
      expect(result.events).toEqual([]);
      expect(result.ignored).toBe('Linear Comment webhooks do not change work items');
    }
  });
});

describe('payloads that carry label ids only', () => {
  let server: LinearServer;
  beforeAll(async () => {
    server = await new LinearServer().start();
    server.addTeam({
      id: 'eeaa0cbd-xxxx-xxxx-xxxx-1c701c3485f1',
      key: 'KOR',
      name: 'korosuke613',
      states: defaultStates('kor'),
    });
    server.addIssue({
      id: '236e0fe8-xxxx-xxxx-xxxx-b2df06e33810',
      identifier: 'KOR-11',
      number: 11,
      title: 'webhook test',
      url: 'https://linear.app/korosuke613/issue/KOR-11/webhook-test',
      updatedAt: '2021-01-30T11:19:39.427Z',
      priority: 0,
      stateId: 'kor-todo',
      teamId: 'eeaa0cbd-xxxx-xxxx-xxxx-1c701c3485f1',
      labels: [{ id: 'l1', name: 'factory' }],
    });
  });
  afterAll(() => server.stop());

  it('get their label names from the API, so the ready check sees them', async () => {
    const provider = new LinearWorkItemProvider({ apiUrl: server.url, token: 'lin_oauth_test_token' });
    const create = fixtureJson('linear/issue.create.korosuke613.json') as { data: Record<string, unknown> };
    const { body, headers } = delivery('issue.create.korosuke613.json', {
      data: { ...create.data, labelIds: ['l1'] },
    });
    const [event] = (await source(provider).interpret(incoming(body, headers, NOW))).events;
    expect(event).toMatchObject({ item: { key: 'KOR-11', labels: ['factory'] } });
    expect(server.operations).toEqual(['FactoryIssue']);
  });
});

describe('config', () => {
  it('refuses an empty signing secret', () => {
    expect(() => new LinearWebhookSource({ secret: '', provider: new LinearWorkItemProvider() })).toThrow(
      'secret',
    );
  });
});
