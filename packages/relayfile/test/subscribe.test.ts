import { RelayFileClient } from '@relayfile/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deleteWebhook,
  ensureWebhook,
  listDeadLetters,
  listWebhooks,
  replayDeadLetters,
} from '../src/subscribe.ts';
import { listen, relayfileTenant, SECRET, TENANT } from './support/factory-handler.ts';
import { issueFile, TRACKER_STATES } from './support/layout.ts';
import { RelayfileServer } from './support/relayfile-server.ts';

let server: RelayfileServer;
let client: RelayFileClient;
let target: { client: RelayFileClient; workspaceId: string };

beforeEach(async () => {
  server = await new RelayfileServer().start();
  for (const state of Object.values(TRACKER_STATES)) server.trackerStates.set(state.id, state);
  client = new RelayFileClient({ baseUrl: server.url, token: server.token, retry: { maxRetries: 0 } });
  target = { client, workspaceId: server.workspaceId };
});
afterEach(() => server.stop());

describe('subscribing the factory to relayfile’s webhooks', () => {
  it('registers the globs the configured providers own, and keeps an identical registration on a re-run', async () => {
    const { sources } = relayfileTenant(server);
    const url = `https://factory.example/t/${TENANT}/webhooks/relayfile`;
    const first = await ensureWebhook({ ...target, url, secret: SECRET, sources });
    expect(first).toMatchObject({ created: true, replaced: [] });
    expect(first.pathGlobs).toEqual([
      '/github/repos/Codertocat/Hello-World/pulls/*/meta.json',
      '/linear/issues/*',
      '/slack/channels/C111__general/**',
    ]);
    const second = await ensureWebhook({ ...target, url, secret: SECRET, sources });
    expect(second).toEqual({ ...first, created: false });
    expect(await listWebhooks(target)).toEqual([
      expect.objectContaining({ id: first.subscriptionId, url, pathGlobs: first.pathGlobs }),
    ]);
  });

  it('replaces a registration of the same URL whose globs changed, registering the new one first', async () => {
    const url = `https://factory.example/t/${TENANT}/webhooks/relayfile`;
    const old = await ensureWebhook({ ...target, url, secret: SECRET, pathGlobs: ['/linear/issues/*'] });
    const now = await ensureWebhook({
      ...target,
      url,
      secret: SECRET,
      pathGlobs: ['/linear/issues/*', '/github/**'],
    });
    expect(now).toMatchObject({ created: true, replaced: [old.subscriptionId] });
    expect((await listWebhooks(target)).map((subscription) => subscription.id)).toEqual([now.subscriptionId]);
  });

  it('deletes a registration', async () => {
    const { subscriptionId } = await ensureWebhook({
      ...target,
      url: 'https://f.example/h',
      secret: SECRET,
      pathGlobs: ['/linear/**'],
    });
    await deleteWebhook(target, subscriptionId);
    expect(await listWebhooks(target)).toEqual([]);
  });

  it.each([
    [{ url: 'not a url' }, /"not a url" is not a URL/],
    [{ url: 'ftp://f.example/h' }, /not an http\(s\) URL/],
    [{ url: 'https://f.example/h?token=x' }, /must not carry a query string/],
    [{ secret: '' }, /secret is required/],
    [{ pathGlobs: [] }, /no path globs/],
    [{ pathGlobs: ['linear/**'] }, /must start with \//],
    [{ pathGlobs: ['/linear/iss*'] }, /whole segments/],
  ])('refuses %o without registering anything', async (override, message) => {
    const options = {
      ...target,
      url: 'https://f.example/h',
      secret: SECRET,
      pathGlobs: ['/linear/issues/*'],
      ...override,
    };
    await expect(ensureWebhook(options)).rejects.toThrow(message);
    expect(server.subscriptions.size).toBe(0);
  });

  it('delivers changes to the factory’s real app, which dispatches once; failures are dead-lettered and replay', async () => {
    const tenant = relayfileTenant(server);
    let failing = true;
    const handler = await listen((request) =>
      failing ? new Response('down', { status: 503 }) : tenant.app.fetch(request),
    );
    try {
      await ensureWebhook({
        ...target,
        url: `${handler.url}/t/${TENANT}/webhooks/relayfile`,
        secret: SECRET,
        sources: tenant.sources,
      });
      const file = issueFile();
      server.putFile(file.path, file.content);
      await server.deliveriesSettled();
      const [dead] = await listDeadLetters(target);
      expect(dead).toMatchObject({
        eventId: server.events[0]?.eventId,
        status: 'dead_lettered',
        attemptCount: 3,
      });
      expect(await tenant.store.getRecord(TENANT, file.record.id)).toBeUndefined();

      failing = false;
      await replayDeadLetters(target);
      await server.deliveriesSettled();
      expect((await listDeadLetters(target))[0]).toMatchObject({ status: 'delivered', replayCount: 1 });
      expect((await tenant.store.getRecord(TENANT, file.record.id))?.status).toBe('dispatched');
      expect(tenant.fleet.agents.size).toBe(1);

      // The factory's own write-back (the item moved to In Progress) comes back as a change and is harmless.
      expect(server.json(file.path)).toMatchObject({ state: TRACKER_STATES.inProgress });
      await replayDeadLetters(target, [dead?.deliveryId ?? '']);
      await server.deliveriesSettled();
      expect(tenant.fleet.spawnCalls).toBe(1);
    } finally {
      await handler.close();
    }
  });
});
