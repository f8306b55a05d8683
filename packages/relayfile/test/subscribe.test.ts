import { RelayFileApiError, RelayFileClient } from '@relayfile/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deleteWebhook,
  ensureWebhook,
  listDeadLetters,
  listWebhooks,
  OutboundWebhooksUnavailableError,
  replayDeadLetters,
} from '../src/subscribe.ts';
import { listen, relayfileTenant, SECRET, TENANT } from './support/factory-handler.ts';
import { issueFile, TRACKER_STATES } from './support/layout.ts';
import { RelayfileServer, type RelayfileServerOptions } from './support/relayfile-server.ts';

let server: RelayfileServer;
let client: RelayFileClient;
let target: { client: RelayFileClient; workspaceId: string };

/** relayfile as the test needs it: the cloud (the default), or one that posts to 127.0.0.1, or self-hosted. */
async function startRelayfile(options: RelayfileServerOptions = {}) {
  await server?.stop();
  server = await new RelayfileServer(options).start();
  for (const state of Object.values(TRACKER_STATES)) server.trackerStates.set(state.id, state);
  client = new RelayFileClient({ baseUrl: server.url, token: server.token, retry: { maxRetries: 0 } });
  target = { client, workspaceId: server.workspaceId };
}

beforeEach(() => startRelayfile());
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
      // The chat's records land under the bare channel id when the sync does not know the channel's name.
      '/slack/channels/C111/**',
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
    // relayfile's cloud refuses these with 400 invalid_webhook_url (conformance "SSRF rejection").
    [{ url: 'http://f.example/h' }, /refuse to deliver to "http:\/\/f\.example\/h": it is http/],
    [{ url: 'https://127.0.0.1:8080/h' }, /127\.0\.0\.1 is this machine \(loopback\)/],
    [{ url: 'https://localhost/h' }, /localhost is this machine/],
    [{ url: 'https://10.0.0.7/h' }, /10\.0\.0\.7 is a private network address/],
    [{ url: 'https://192.168.1.20/h' }, /private network address/],
    [{ url: 'https://169.254.169.254/h' }, /link-local address/],
    [{ url: 'https://[::1]/h' }, /\[::1\] is this machine \(loopback\)/],
    [{ url: 'https://[::ffff:127.0.0.1]/h' }, /is this machine \(loopback\)/],
    [{ url: 'https://[fd12::1]/h' }, /private \(unique local\) address/],
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

  // AgentWorkforce/relayfile@380bc0f8 scripts/conformance.ts, "SSRF rejection": the cloud answers
  // 400 invalid_webhook_url to https://127.0.0.1/hook and to http://example.com/hook.
  it('meets relayfile’s own refusal of an http or loopback URL when asked to skip the check (relayfile/scripts/conformance.ts@380bc0f8)', async () => {
    for (const url of ['http://f.example/h', 'https://127.0.0.1/hook']) {
      const refused = ensureWebhook({
        ...target,
        url,
        secret: SECRET,
        pathGlobs: ['/linear/issues/*'],
        allowInsecureUrl: true,
      });
      await expect(refused).rejects.toBeInstanceOf(RelayFileApiError);
      await expect(refused).rejects.toMatchObject({ status: 400, code: 'invalid_webhook_url' });
    }
    expect(server.subscriptions.size).toBe(0);
  });

  // AgentWorkforce/relayfile@380bc0f8 internal/httpapi/server.go routes no /webhooks and answers
  // 404 "route not found"; scripts/conformance.ts skips its webhook tests on exactly that 404.
  it('says relayfile has no outbound webhooks when the server is the self-hosted one (relayfile/internal/httpapi/server.go@380bc0f8)', async () => {
    await startRelayfile({ outboundWebhooks: false });
    const attempts = [
      () =>
        ensureWebhook({ ...target, url: 'https://f.example/h', secret: SECRET, pathGlobs: ['/linear/**'] }),
      () => listWebhooks(target),
      () => listDeadLetters(target),
      () => deleteWebhook(target, 'whs_1'),
      () => replayDeadLetters(target, ['dlv_1']),
    ];
    for (const attempt of attempts) {
      const failure = attempt();
      await expect(failure).rejects.toBeInstanceOf(OutboundWebhooksUnavailableError);
      await expect(failure).rejects.toThrow(
        'this relayfile server has no outbound webhooks (it answered 404 "route not found" on its webhooks route)',
      );
    }
    // A 404 about one subscription on a server that has the routes is still about that subscription.
    await startRelayfile();
    await expect(deleteWebhook(target, 'whs_gone')).rejects.toMatchObject({ status: 404 });
  });

  it('delivers changes to the factory’s real app, which dispatches once; failures are dead-lettered and replay', async () => {
    // The factory listens on 127.0.0.1: this relayfile, unlike the cloud, posts there.
    await startRelayfile({ webhookUrls: 'any' });
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
        allowInsecureUrl: true,
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
