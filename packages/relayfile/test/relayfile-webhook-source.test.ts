import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signRelayDelivery } from '../src/relay-signature.ts';
import { relayfileTenant, SECRET, TENANT } from './support/factory-handler.ts';
import { fixture, issueFile, replyFile, TRACKER_STATES } from './support/layout.ts';
import { RelayfileServer } from './support/relayfile-server.ts';

let server: RelayfileServer;
let tenant: ReturnType<typeof relayfileTenant>;

beforeEach(async () => {
  server = await new RelayfileServer().start();
  for (const state of Object.values(TRACKER_STATES)) server.trackerStates.set(state.id, state);
  tenant = relayfileTenant(server);
});
afterEach(() => server.stop());

const ROUTE = `http://factory.test/t/${TENANT}/webhooks/relayfile`;

async function signed(
  body: string,
  options: { secret?: string; timestamp?: string; headers?: Record<string, string>; prefix?: string } = {},
): Promise<Request> {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signature = await signRelayDelivery(options.secret ?? SECRET, timestamp, body);
  return new Request(ROUTE, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-relay-timestamp': timestamp,
      'x-relay-signature': `${options.prefix ?? ''}${signature}`,
      ...options.headers,
    },
    body,
  });
}

function delivery(path: string, content?: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    eventId: 'evt_000042',
    type: 'file.updated',
    path,
    revision: 'rev_9',
    origin: 'provider_sync',
    provider: path.split('/')[1],
    correlationId: 'corr_1',
    timestamp: '2021-01-30T11:24:17.747Z',
    ...(content === undefined
      ? {}
      : {
          snapshot: { path, contentType: 'application/json', encoding: 'utf-8', content, truncated: false },
        }),
    ...extra,
  });
}

async function storeIsEmpty() {
  const page = await tenant.store.listRecords(TENANT);
  expect(page.records).toEqual([]);
  expect(
    await tenant.store.rememberEvent(TENANT, 'relayfile:evt_000042', {
      now: Date.now(),
      expiresAt: Date.now() + 1,
    }),
  ).toEqual({ fresh: true });
}

describe('POST /t/:tenant/webhooks/relayfile', () => {
  it('dispatches a ready issue from a signed change event carrying its snapshot', async () => {
    const file = issueFile();
    const response = await tenant.app.fetch(await signed(delivery(file.path, file.content)));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'processed',
      results: [{ event: 'work-item.changed' }],
    });
    expect((await tenant.store.getRecord(TENANT, file.record.id))?.status).toBe('dispatched');
    expect(tenant.fleet.agents.size).toBe(1);
  });

  it('accepts the signature with a sha256= prefix', async () => {
    const file = issueFile();
    const response = await tenant.app.fetch(
      await signed(delivery(file.path, file.content), { prefix: 'sha256=' }),
    );
    expect(response.status).toBe(200);
  });

  it('reads the file through the mount when the snapshot is missing or truncated', async () => {
    const file = issueFile();
    server.putFile(file.path, file.content);
    const truncated = delivery(file.path, undefined, {
      snapshot: { path: file.path, encoding: 'utf-8', content: file.content.slice(0, 20), truncated: true },
    });
    const response = await tenant.app.fetch(await signed(truncated));
    expect(response.status).toBe(200);
    expect((await tenant.store.getRecord(TENANT, file.record.id))?.status).toBe('dispatched');
  });

  it('answers a re-delivery of the same event id as a duplicate, and acts once', async () => {
    const file = issueFile();
    const body = delivery(file.path, file.content);
    expect((await tenant.app.fetch(await signed(body))).status).toBe(200);
    const again = await tenant.app.fetch(await signed(body));
    expect(await again.json()).toMatchObject({ status: 'duplicate', deliveryId: 'evt_000042' });
    expect(tenant.fleet.spawnCalls).toBe(1);
  });

  it('routes a thread reply to the chat provider', async () => {
    const file = replyFile();
    const response = await tenant.app.fetch(await signed(delivery(file.path, file.content)));
    expect(await response.json()).toMatchObject({
      results: [{ event: 'clarification.replied', reason: 'not a thread the factory is waiting on' }],
    });
  });

  // The body relayfile's cloud posts: the SDK's FilesystemEvent (AgentWorkforce/relayfile@380bc0f8,
  // packages/sdk/typescript/src/types.ts) plus `snapshot`, `providerEventType` and `resourceRef`, as
  // AgentWorkforce/relaycast@2bf0304c packages/engine/src/routes/relayfileInbound.ts reads it; the
  // id comes in X-Relay-Event-Id too ("relayfile-cloud always sends X-Relay-Event-Id").
  describe('the event body relayfile’s cloud sends (relaycast packages/engine/src/routes/relayfileInbound.ts@2bf0304c)', () => {
    const cloudEvent = () => fixture('relayfile/event.file-updated.linear-issue.json');
    const issuePath = () => String(cloudEvent().path);
    const issueContent = () => String((cloudEvent().snapshot as { content: string }).content);

    it('dispatches from its snapshot, a sync-wrapped issue, with its extra fields ignored', async () => {
      server.putFile(issuePath(), issueContent());
      const body = JSON.stringify(cloudEvent());
      const deliver = async () =>
        tenant.app.fetch(await signed(body, { headers: { 'x-relay-event-id': 'evt_01J8Z6Q4R2M7' } }));
      const response = await deliver();
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'processed',
        results: [{ event: 'work-item.changed' }],
      });
      expect((await tenant.store.getRecord(TENANT, 'b4f7c3a0-6d1e-4c2b-9a8f-0e5d7c6b1a29'))?.status).toBe(
        'dispatched',
      );
      expect(await (await deliver()).json()).toMatchObject({
        status: 'duplicate',
        deliveryId: 'evt_01J8Z6Q4R2M7',
      });
    });

    it('reads the file through the mount when the event carries no snapshot at all', async () => {
      server.putFile(issuePath(), issueContent());
      const { snapshot: _snapshot, ...bare } = cloudEvent();
      expect((await tenant.app.fetch(await signed(JSON.stringify(bare)))).status).toBe(200);
      expect(tenant.fleet.agents.size).toBe(1);
    });

    it.each([
      ['an encoding it does not know', { encoding: 'utf-16' }],
      ['base64 that is not base64', { encoding: 'base64', content: '%%%' }],
      ['content that is not a string', { content: 42 }],
      ['truncated content', { content: '{"provider":"linear","obj', truncated: true }],
    ])('reads the file through the mount when the snapshot has %s', async (_name, change) => {
      server.putFile(issuePath(), issueContent());
      const event = cloudEvent();
      const odd = { ...event, snapshot: { ...(event.snapshot as object), ...change } };
      expect((await tenant.app.fetch(await signed(JSON.stringify(odd)))).status).toBe(200);
      expect(tenant.fleet.agents.size).toBe(1);
    });

    it('decodes a base64 snapshot', async () => {
      server.putFile(issuePath(), issueContent());
      const event = cloudEvent();
      const encoded = {
        ...event,
        snapshot: {
          ...(event.snapshot as object),
          encoding: 'base64',
          content: Buffer.from(issueContent()).toString('base64'),
        },
      };
      expect((await tenant.app.fetch(await signed(JSON.stringify(encoded)))).status).toBe(200);
      expect(tenant.fleet.agents.size).toBe(1);
    });

    it('names the delivery by X-Relay-Event-Id when the body has no eventId', async () => {
      server.putFile(issuePath(), issueContent());
      const { eventId: _id, ...body } = cloudEvent();
      const deliver = async () =>
        tenant.app.fetch(
          await signed(JSON.stringify(body), { headers: { 'x-relay-event-id': 'evt_from_header' } }),
        );
      expect(await (await deliver()).json()).toMatchObject({ status: 'processed' });
      expect(await (await deliver()).json()).toMatchObject({
        status: 'duplicate',
        deliveryId: 'evt_from_header',
      });
    });

    it('400 when neither X-Relay-Event-Id nor eventId names the event, since a re-delivery could not be told apart', async () => {
      const { eventId: _id, ...body } = cloudEvent();
      const response = await tenant.app.fetch(await signed(JSON.stringify(body)));
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: 'no event id: neither X-Relay-Event-Id nor eventId is set',
      });
      await storeIsEmpty();
    });

    it('400 for a file change without a path; 202 for another kind of event without one', async () => {
      const { path: _path, ...pathless } = cloudEvent();
      const response = await tenant.app.fetch(await signed(JSON.stringify(pathless)));
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'a file.updated event without a path' });
      const other = await tenant.app.fetch(
        await signed(JSON.stringify({ ...pathless, type: 'writeback.failed' })),
      );
      expect(other.status).toBe(202);
      expect(await other.json()).toMatchObject({ reason: 'writeback.failed is not a file change' });
      await storeIsEmpty();
    });

    it('does not refuse an event for an odd field it does not use', async () => {
      server.putFile(issuePath(), issueContent());
      const odd = { ...cloudEvent(), revision: 42, origin: null, resourceRef: { path: 'x' } };
      expect((await tenant.app.fetch(await signed(JSON.stringify(odd)))).status).toBe(200);
    });
  });

  describe('ignores, with 202 and a reason, what it does not act on', () => {
    it.each([
      ['a delete', () => delivery(issueFile().path, undefined, { type: 'file.deleted' }), /was deleted/],
      [
        'a path nobody owns',
        () => delivery('/notion/pages/x.json', '{}'),
        /no provider owns \/notion\/pages\/x\.json/,
      ],
      [
        'a non-file event',
        () => delivery(issueFile().path, undefined, { type: 'sync.error' }),
        /sync\.error is not a file change/,
      ],
      ['a file that is gone', () => delivery(issueFile().path), /no longer exists/],
      [
        'a partial record',
        () => delivery(issueFile().path, '{"stateId":"x"}'),
        /not a complete issue record/,
      ],
    ])('%s', async (_name, body, reason) => {
      const response = await tenant.app.fetch(await signed(body()));
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({
        status: 'ignored',
        reason: expect.stringMatching(reason),
      });
      expect((await tenant.store.listRecords(TENANT)).records).toEqual([]);
    });
  });

  // Another secret, no signature, another body, the 5-minute window, malformed JSON: the WebhookSource
  // conformance suite (conformance/mount-providers.test.ts); 413, 415 and 404 are the SDK app's.
  describe('rejects bad input and changes nothing', () => {
    const body = () => delivery(issueFile().path, issueFile().content);

    it('401 with a timestamp that is not a time', async () => {
      expect((await tenant.app.fetch(await signed(body(), { timestamp: 'yesterday' }))).status).toBe(401);
      await storeIsEmpty();
    });

    it('400 for JSON that is not a change event', async () => {
      const response = await tenant.app.fetch(
        await signed(JSON.stringify({ eventId: '', path: 'relative' })),
      );
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatch(
        /not a relayfile change event: eventId: .*; type: .*; path: /,
      );
      await storeIsEmpty();
    });

    it('400 when X-Relay-Event-Id disagrees with the body', async () => {
      const response = await tenant.app.fetch(
        await signed(body(), { headers: { 'x-relay-event-id': 'evt_other' } }),
      );
      expect(response.status).toBe(400);
      await storeIsEmpty();
    });
  });
});
