import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthFlowError,
  RelayfileCredentialStore,
  type RelayfileCredentialStoreOptions,
} from '../src/index.ts';
import { RELAYFILE_FACTORY_SCOPES } from '../src/relayfile-credential-store.ts';
import { capture, expectNoSecrets, rejectionOf } from './support/capture.ts';
import {
  CLOUD_TOKEN,
  type LoopbackRelayfileCloud,
  startLoopbackRelayfileCloud,
} from './support/loopback-relayfile-cloud.ts';

let cloud: LoopbackRelayfileCloud;
beforeAll(async () => {
  cloud = await startLoopbackRelayfileCloud();
});
afterAll(() => cloud.close());
beforeEach(() => {
  cloud.requests.length = 0;
  cloud.pollsBeforeReady = 2;
  cloud.failWith = undefined;
});

let workspaceCounter = 0;
function storeFor(overrides: Partial<RelayfileCredentialStoreOptions> = {}) {
  workspaceCounter += 1;
  const workspaces: Record<string, string> = {
    acme: `ws_acme_${workspaceCounter}`,
    globex: `ws_globex_${workspaceCounter}`,
  };
  const waits: number[] = [];
  const store = new RelayfileCredentialStore({
    cloudApiUrl: cloud.cloudApiUrl,
    accessToken: CLOUD_TOKEN,
    workspaceFor: (tenant) => workspaces[tenant] ?? '',
    integrations: { slack: 'slack-sage' },
    agentName: 'factory',
    pollIntervalMs: 2_000,
    retry: { maxRetries: 0, baseDelayMs: 1 },
    sleep: async (ms) => void waits.push(ms),
    ...overrides,
  });
  return { store, waits, workspaces };
}

/** The person: opens the connect link and finishes the vendor's consent. */
const person = async (url: string) => void (await (await fetch(url)).text());

describe('RelayfileCredentialStore', () => {
  it("connects through relayfile's connect session: shows the link, polls until relayfile reports ready", async () => {
    const { store, waits, workspaces } = storeFor();
    const out = capture();
    const opened: string[] = [];
    expect(await store.get('acme', 'linear')).toBeUndefined();

    const status = await store.connect('acme', 'linear', {
      print: out.print,
      openUrl: async (url) => {
        opened.push(url);
        await person(url);
      },
    });

    expect(status).toEqual({ state: 'connected' });
    expect(opened[0]).toMatch(new RegExp(`^${cloud.cloudApiUrl}/connect/`));
    expect(out.printed).toContain(`To connect linear through relayfile, open:\n  ${opened[0]}`);
    expect(out.printed.at(-1)).toBe('linear connected through relayfile.');
    expect(waits).toEqual([2_000, 2_000]); // two "sync_queued" answers, then ready
    const session = cloud.requests.find((request) => request.path.endsWith('/integrations/connect-session'));
    expect(session?.body).toEqual({ allowedIntegrations: ['linear'] });
    expect(session?.path).toBe(`/cloud/api/v1/workspaces/${workspaces.acme}/integrations/connect-session`);

    const credential = await store.get('acme', 'linear');
    expect(credential?.tokenType).toBe('relayfile');
    expect(credential?.scopes).toEqual([]);
    expect(cloud.workspaceTokens()).toContain(credential?.accessToken);
    // Tenants are separate workspaces: another tenant is not connected by this.
    expect(await store.get('globex', 'linear')).toBeUndefined();
    expectNoSecrets(out.everything(), [CLOUD_TOKEN, ...cloud.workspaceTokens()]);
  });

  it('does not open a new session for an integration relayfile already has', async () => {
    const { store, workspaces } = storeFor();
    cloud.connectOutOfBand(workspaces.acme ?? '', 'github');
    const printed: string[] = [];
    const status = await store.connect('acme', 'github', {
      print: (line) => printed.push(line),
      openUrl: async () => {
        throw new Error('must not open a browser');
      },
    });
    expect(status).toEqual({ state: 'connected' });
    expect(printed).toEqual(['github is already connected through relayfile.']);
    expect(cloud.requests.some((request) => request.path.endsWith('/connect-session'))).toBe(false);
    expect((await store.get('acme', 'github'))?.tokenType).toBe('relayfile');
  });

  // AgentWorkforce/relayfile@380bc0f8: internal/httpapi/server.go requires fs:read / fs:write for files
  // and events and ops:read for GET ops/:id; scripts/conformance.ts gives tokens webhooks:read,
  // webhooks:write and webhooks:replay for the cloud's webhook routes, and registers with webhooks:write.
  it('joins the workspace asking for the scopes the factory uses, webhook registration’s included (relayfile/scripts/conformance.ts@380bc0f8)', async () => {
    const { store, workspaces } = storeFor();
    await store.get('acme', 'linear');
    const join = cloud.requests.find((request) => request.path.endsWith(`/${workspaces.acme}/join`));
    expect((join?.body as { scopes?: string[] } | undefined)?.scopes).toEqual([
      'fs:read',
      'fs:write',
      'ops:read',
      'webhooks:read',
      'webhooks:write',
      'webhooks:replay',
    ]);
    expect(RELAYFILE_FACTORY_SCOPES).toContain('webhooks:write');

    // The scopes can still be set; they are then asked for as given.
    const narrow = storeFor({ workspaceScopes: ['fs:read'] });
    await narrow.store.get('acme', 'linear');
    const narrowJoin = cloud.requests.find((request) =>
      request.path.endsWith(`/${narrow.workspaces.acme}/join`),
    );
    expect((narrowJoin?.body as { scopes?: string[] } | undefined)?.scopes).toEqual(['fs:read']);
  });

  it('maps factory provider names to relayfile integrations (Slack has several apps)', async () => {
    const { store } = storeFor();
    await store.connect('acme', 'slack', { print: () => {}, openUrl: person });
    const session = cloud.requests.find((request) => request.path.endsWith('/connect-session'));
    expect(session?.body).toEqual({ allowedIntegrations: ['slack-sage'] });

    const unmapped = storeFor({ integrations: {} }).store;
    await expect(unmapped.get('acme', 'slack')).rejects.toThrow(
      `no relayfile integration is configured for provider "slack" (configured: linear, github); add it to \`integrations\`, e.g. { slack: 'slack-sage' }`,
    );
  });

  it('gives up when the person never finishes the link, and can be cancelled', async () => {
    const { store } = storeFor({ connectTimeoutMs: 6_000 });
    const error = await rejectionOf(
      store.connect('acme', 'linear', { print: () => {}, openUrl: async () => {} }),
    );
    expect(error).toBeInstanceOf(AuthFlowError);
    expect((error as AuthFlowError).failure).toBe('timeout');
    expect(error.message).toBe(
      'relayfile did not report linear connected within 6 s; open the link again or run the connect again',
    );

    const controller = new AbortController();
    const aborting = storeFor({
      sleep: async (_ms, signal) => {
        controller.abort();
        if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
      },
    }).store;
    const cancelled = await rejectionOf(
      aborting.connect('acme', 'linear', {
        print: () => {},
        openUrl: async () => {},
        signal: controller.signal,
      }),
    );
    expect((cancelled as AuthFlowError).failure).toBe('aborted');
  });

  it('refuses to be handed a vendor token, and disconnects on delete', async () => {
    const { store } = storeFor();
    await store.connect('acme', 'linear', { print: () => {}, openUrl: person });
    await expect(
      store.put('acme', 'linear', { accessToken: 'lin_api_abcdefghijklmnop', scopes: [] }),
    ).rejects.toThrow(
      "relayfile keeps the linear tokens itself and accepts none from the factory; connect linear through relayfile's connect link instead",
    );
    await store.delete('acme', 'linear');
    expect(await store.get('acme', 'linear')).toBeUndefined();
  });

  it('reports a relayfile outage without the cloud token in the message', async () => {
    const { store } = storeFor();
    cloud.failWith = 503;
    const error = await rejectionOf(store.get('acme', 'linear'));
    expect(error.message).toMatch(
      /^relayfile join of workspace ws_acme_\d+ failed \(HTTP 503\): upstream unavailable$/,
    );
    expect(error.message).not.toContain(CLOUD_TOKEN);
  });

  it('reports a rejected cloud token', async () => {
    const { store } = storeFor({ accessToken: 'rfc_wrong_token_000000000000' });
    const error = await rejectionOf(store.get('acme', 'linear'));
    expect(error.message).toMatch(
      /^relayfile join of workspace ws_acme_\d+ failed \(HTTP 401\): unauthorized$/,
    );
  });

  it('refuses a tenant without a workspace', async () => {
    const { store } = storeFor();
    await expect(store.get('initech', 'linear')).rejects.toThrow(
      'no relayfile workspace is configured for tenant initech',
    );
  });

  it.each([
    [{ cloudApiUrl: 'not a url' }, 'cloudApiUrl'],
    [{ integrations: { slack: 'slack' } }, 'integrations.slack'],
    [{ pollIntervalMs: -1 }, 'pollIntervalMs'],
    [{ connectTimeoutMs: 0 }, 'connectTimeoutMs'],
    [{ workspaceScopes: [] }, 'workspaceScopes'],
  ])('refuses bad options %j', (overrides, field) => {
    expect(() => storeFor(overrides as Partial<RelayfileCredentialStoreOptions>)).toThrow(
      new RegExp(`^invalid relayfile credential store options: .*${field.replace('.', '\\.')}`),
    );
  });

  it('refuses construction without a token or a workspace mapping', () => {
    expect(() => storeFor({ accessToken: '' })).toThrow(
      'invalid relayfile credential store options: accessToken is required',
    );
    expect(() => storeFor({ workspaceFor: undefined as never })).toThrow(
      'invalid relayfile credential store options: workspaceFor is required',
    );
  });
});
