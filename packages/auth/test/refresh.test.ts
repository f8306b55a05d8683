import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Credential, InMemoryStateStore, SealedBox, StoredCredentialStore } from '@software-factory/sdk';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthFlowError,
  authorizeWithDeviceCode,
  authorizeWithPkce,
  EncryptedFileCredentialStore,
  freshCredential,
  githubOAuth,
  linearOAuth,
  oauthRefresher,
  refreshCredential,
} from '../src/index.ts';
import { capture, expectNoSecrets, rejectionOf } from './support/capture.ts';
import { listen } from './support/loopback.ts';
import {
  browse,
  CLIENT_ID,
  CLIENT_SECRET,
  type LoopbackOAuthServer,
  startLoopbackOAuthServer,
} from './support/loopback-oauth-server.ts';

let server: LoopbackOAuthServer;
let dir: string;
let store: EncryptedFileCredentialStore;
beforeAll(async () => {
  server = await startLoopbackOAuthServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  server.requests.length = 0;
  dir = await mkdtemp(join(tmpdir(), 'factory-auth-refresh-'));
  store = new EncryptedFileCredentialStore({
    path: join(dir, 'credentials.enc'),
    key: { key: Buffer.alloc(32, 7) },
  });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A real Linear credential from the loopback server, issued at `issuedAt` and valid for an hour. */
async function connectedLinear(issuedAt: number): Promise<Credential> {
  server.linearExpiresIn = 3_600;
  return authorizeWithPkce({
    provider: linearOAuth(server.linear),
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    context: { print: () => {}, openUrl: browse },
    now: () => issuedAt,
  });
}

const client = () => ({
  provider: linearOAuth(server.linear),
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
});

describe('refreshing an expired token', () => {
  it('exchanges the refresh token for a new access token (and the rotated refresh token)', async () => {
    const old = await connectedLinear(0);
    const fresh = await refreshCredential(old, { ...client(), now: () => 10_000_000 });
    expect(fresh.accessToken).toMatch(/^lin_oauth_/);
    expect(fresh.accessToken).not.toBe(old.accessToken);
    expect(fresh.refreshToken).not.toBe(old.refreshToken);
    expect(fresh.expiresAt).toBe(10_000_000 + 3_600_000);
    expect(fresh.scopes).toEqual(old.scopes);
    const call = server.requests.find((request) => request.form.grant_type === 'refresh_token');
    expect(call?.form.refresh_token).toBe(old.refreshToken);
  });

  it('fails clearly when the vendor refuses the refresh token, and tells the user to reconnect', async () => {
    const old = await connectedLinear(0);
    await refreshCredential(old, client()); // rotation: the old refresh token is now spent
    const out = capture();
    const error = await rejectionOf(refreshCredential(old, { ...client(), logger: out.logger }));
    out.error(error);
    expect(error).toBeInstanceOf(AuthFlowError);
    expect(error.message).toBe(
      'linear refused the token request (invalid_grant: refresh token is invalid or was already used); nothing was saved. If it keeps failing, run `factory connect linear`',
    );
    expectNoSecrets(out.everything(), [...server.secrets(), old.refreshToken ?? '']);
  });

  it('cannot refresh a credential that has no refresh token', async () => {
    const error = await rejectionOf(
      refreshCredential({ accessToken: 'lin_api_abcdefghijklmnop', scopes: [] }, client()),
    );
    expect((error as AuthFlowError).failure).toBe('not-connected');
    expect(error.message).toContain('Run `factory connect linear`');
  });

  it('refuses bad client options', async () => {
    const old = await connectedLinear(0);
    await expect(refreshCredential(old, { ...client(), clientId: '' })).rejects.toThrow(
      'invalid linear refresh options: clientId: clientId is required',
    );
  });
});

describe('refreshing a GitHub App user token, where GitHub answers errors with HTTP 200', () => {
  it('refreshes, and then reports the spent refresh token as bad_refresh_token', async () => {
    server.githubExpiringTokens = true;
    try {
      const github = { provider: githubOAuth(server.github), clientId: CLIENT_ID };
      const old = await authorizeWithDeviceCode({
        ...github,
        context: { print: () => {}, openUrl: async () => {} },
        sleep: async () => {},
        now: () => 0,
      });
      expect(old.accessToken).toMatch(/^ghu_/);
      expect(old.expiresAt).toBe(28_800_000);
      // GitHub reports an empty scope for these tokens: nothing granted beyond the app's permissions.
      expect(old.scopes).toEqual([]);

      const fresh = await refreshCredential(old, github);
      expect(fresh.accessToken).toMatch(/^ghu_/);
      expect(fresh.refreshToken).toMatch(/^ghr_/);

      const error = await rejectionOf(refreshCredential(old, github));
      expect(error.message).toBe(
        'github refused the token request (bad_refresh_token: The refresh token passed is incorrect or expired.); nothing was saved. If it keeps failing, run `factory connect github`',
      );
    } finally {
      server.githubExpiringTokens = false;
    }
  });
});

describe('freshCredential', () => {
  it('refreshes a token that expires within the window, saves it, and returns it', async () => {
    const issuedAt = 0;
    const old = await connectedLinear(issuedAt);
    await store.put('acme', 'linear', old);
    const now = () => (old.expiresAt ?? 0) - 60_000; // one minute left

    const fresh = await freshCredential(store, 'acme', 'linear', oauthRefresher({ ...client(), now }), {
      now,
    });
    expect(fresh?.accessToken).not.toBe(old.accessToken);
    expect(await store.get('acme', 'linear')).toEqual(fresh);
    expect(server.refreshCount()).toBeGreaterThan(0);
  });

  it('refreshes a token that has already expired', async () => {
    const old = await connectedLinear(0);
    await store.put('acme', 'linear', old);
    const now = () => (old.expiresAt ?? 0) + 3_600_000;
    const fresh = await freshCredential(store, 'acme', 'linear', oauthRefresher({ ...client(), now }), {
      now,
    });
    expect(fresh?.expiresAt).toBe(now() + 3_600_000);
  });

  it('leaves a token with time to spare alone, without calling the vendor', async () => {
    const old = await connectedLinear(0);
    await store.put('acme', 'linear', old);
    server.requests.length = 0;
    const fresh = await freshCredential(store, 'acme', 'linear', oauthRefresher(client()), { now: () => 0 });
    expect(fresh).toEqual(old);
    expect(server.requests).toEqual([]);
  });

  it('returns tokens without an expiry as they are, and undefined when there is no credential', async () => {
    const forever = { accessToken: 'lin_api_0123456789abcdef', scopes: [] };
    await store.put('acme', 'linear', forever);
    const refusing = async (): Promise<Credential> => {
      throw new Error('must not refresh');
    };
    expect(await freshCredential(store, 'acme', 'linear', refusing)).toEqual(forever);
    expect(await freshCredential(store, 'acme', 'github', refusing)).toBeUndefined();
  });

  it('shares one refresh between concurrent callers, because a rotated refresh token works only once', async () => {
    const old = await connectedLinear(0);
    await store.put('acme', 'linear', old);
    const before = server.refreshCount();
    const now = () => (old.expiresAt ?? 0) + 1;
    const refresher = oauthRefresher({ ...client(), now });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => freshCredential(store, 'acme', 'linear', refresher, { now })),
    );
    expect(server.refreshCount() - before).toBe(1);
    expect(new Set(results.map((result) => result?.accessToken)).size).toBe(1);
  });

  it('reports an expired token that cannot be refreshed, and does not touch the store', async () => {
    const expired = { accessToken: 'gho_abcdefghijklmnopqrstuvwxyz', expiresAt: 1_000, scopes: ['repo'] };
    await store.put('acme', 'github', expired);
    const error = await rejectionOf(
      freshCredential(store, 'acme', 'github', oauthRefresher(client()), { now: () => 2_000 }),
    );
    expect(error.message).toBe(
      'the github token for tenant acme has expired and has no refresh token; run `factory connect github`',
    );
    expect(error.message).not.toContain(expired.accessToken);
    expect(await store.get('acme', 'github')).toEqual(expired);
  });

  it('refuses a negative refresh window', async () => {
    await expect(
      freshCredential(store, 'acme', 'linear', oauthRefresher(client()), { refreshWithinMs: -1 }),
    ).rejects.toThrow(
      'invalid freshCredential options: refreshWithinMs must be a non-negative number of milliseconds',
    );
  });

  it('keeps the stored credential when the refresh fails', async () => {
    const old = await connectedLinear(0);
    const spent = { ...old, refreshToken: 'lin_refresh_spent_or_revoked_0000' };
    await store.put('acme', 'linear', spent);
    const now = () => (old.expiresAt ?? 0) + 1;
    await expect(
      freshCredential(store, 'acme', 'linear', oauthRefresher({ ...client(), now }), { now }),
    ).rejects.toThrow(/invalid_grant/);
    expect(await store.get('acme', 'linear')).toEqual(spent);
  });
});

/**
 * A vendor that rotates refresh tokens the strict way: a refresh token works once, and the access token
 * issued with it stops working when it is spent, so only the newest pair is valid.
 */
async function startRotatingVendor(options: { holdSuccessMs?: number } = {}) {
  const pairs = new Map<string, string>(); // refresh token → access token issued with it
  const live = new Set<string>();
  const counts = { refreshAttempts: 0, refreshSuccesses: 0 };
  const issue = () => {
    const access = `lin_oauth_${randomBytes(16).toString('hex')}`;
    const refresh = `lin_refresh_${randomBytes(16).toString('hex')}`;
    pairs.set(refresh, access);
    live.add(access);
    return { access, refresh };
  };
  const app = new Hono();
  app.post('/oauth/token', async (c) => {
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    if (form.client_id !== CLIENT_ID || form.client_secret !== CLIENT_SECRET) {
      return c.json({ error: 'invalid_client' }, 401);
    }
    counts.refreshAttempts += 1;
    const spent = pairs.get(form.refresh_token ?? '');
    if (form.grant_type !== 'refresh_token' || spent === undefined) {
      return c.json(
        { error: 'invalid_grant', error_description: 'refresh token is invalid or was already used' },
        400,
      );
    }
    pairs.delete(form.refresh_token ?? '');
    live.delete(spent);
    counts.refreshSuccesses += 1;
    const next = issue();
    if (options.holdSuccessMs) await new Promise((resolve) => setTimeout(resolve, options.holdSuccessMs));
    return c.json({
      access_token: next.access,
      refresh_token: next.refresh,
      token_type: 'Bearer',
      expires_in: 3_600,
      scope: 'read',
    });
  });
  const server = await listen(app);
  return {
    counts,
    issue,
    /** What an API call with this token would get: accepted or 401. */
    accepts: (accessToken: string | undefined) => accessToken !== undefined && live.has(accessToken),
    refreshWorks: (refreshToken: string | undefined) => refreshToken !== undefined && pairs.has(refreshToken),
    provider: linearOAuth({
      authorizationEndpoint: `${server.url}/oauth/authorize`,
      tokenEndpoint: `${server.url}/oauth/token`,
    }),
    close: server.close,
  };
}

describe('freshCredential with a store that can compare-and-set (two instances over one StateStore)', () => {
  const box = SealedBox.fromSecret('4e'.repeat(32));
  const NOW = 1_767_225_600_000;
  const now = () => NOW;

  /** Two instances: separate store objects, so the in-process sharing cannot help; one StateStore. */
  async function twoInstances() {
    const state = new InMemoryStateStore();
    return {
      one: new StoredCredentialStore(state, await box),
      two: new StoredCredentialStore(state, await box),
    };
  }

  for (const order of ['the winner’s answer comes first', 'the refused caller’s answer comes first']) {
    it(`two simultaneous refreshes keep one valid token at a rotating vendor (${order})`, async () => {
      const vendor = await startRotatingVendor({ holdSuccessMs: order.includes('refused') ? 300 : 0 });
      try {
        const { one, two } = await twoInstances();
        const first = vendor.issue();
        await one.put('acme', 'linear', {
          accessToken: first.access,
          refreshToken: first.refresh,
          expiresAt: NOW + 60_000,
          scopes: ['read'],
        });
        const refresher = oauthRefresher({
          provider: vendor.provider,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          now,
        });

        const results = await Promise.all([
          freshCredential(one, 'acme', 'linear', refresher, { now }),
          freshCredential(two, 'acme', 'linear', refresher, { now }),
        ]);

        expect(vendor.counts).toEqual({ refreshAttempts: 2, refreshSuccesses: 1 });
        for (const result of results) expect(vendor.accepts(result?.accessToken)).toBe(true);
        const stored = await one.get('acme', 'linear');
        expect(vendor.accepts(stored?.accessToken)).toBe(true);
        expect(vendor.refreshWorks(stored?.refreshToken)).toBe(true);
        expect(results).toEqual([stored, stored]);
      } finally {
        await vendor.close();
      }
    });
  }

  it('the loser of the compare-and-set returns the credential the winner stored', async () => {
    const { one, two } = await twoInstances();
    await one.put('acme', 'linear', { accessToken: 'old', refreshToken: 'r0', expiresAt: NOW, scopes: [] });
    let issued = 0;
    const refresher = async (credential: Credential): Promise<Credential> => {
      issued += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { ...credential, accessToken: `fresh-${issued}`, expiresAt: NOW + 3_600_000 };
    };
    const results = await Promise.all([
      freshCredential(one, 'acme', 'linear', refresher, { now }),
      freshCredential(two, 'acme', 'linear', refresher, { now }),
    ]);
    expect(issued).toBe(2);
    const stored = await two.read('acme', 'linear');
    expect(stored?.version).toBe(2);
    expect(results).toEqual([stored?.credential, stored?.credential]);
  });

  it('rethrows a refused refresh when no other instance refreshed, and leaves the store as it was', async () => {
    const { one } = await twoInstances();
    const spent = { accessToken: 'old', refreshToken: 'r0', expiresAt: NOW, scopes: [] };
    await one.put('acme', 'linear', spent);
    const waits: number[] = [];
    const refusing = async (): Promise<Credential> => {
      throw new Error('invalid_grant');
    };
    await expect(
      freshCredential(one, 'acme', 'linear', refusing, {
        now,
        settleMs: 600,
        sleep: async (ms) => {
          waits.push(ms);
        },
      }),
    ).rejects.toThrow('invalid_grant');
    expect(waits).toEqual([250, 250, 100]);
    expect(await one.read('acme', 'linear')).toEqual({ credential: spent, version: 1 });
  });

  it('rethrows a refused refresh when what another instance stored has expired too', async () => {
    const { one, two } = await twoInstances();
    await one.put('acme', 'linear', { accessToken: 'old', refreshToken: 'r0', expiresAt: NOW, scopes: [] });
    const refusing = async (): Promise<Credential> => {
      // Meanwhile another instance stored a credential that is no better.
      await two.put('acme', 'linear', {
        accessToken: 'other',
        refreshToken: 'r1',
        expiresAt: NOW - 1,
        scopes: [],
      });
      throw new Error('invalid_grant');
    };
    await expect(freshCredential(one, 'acme', 'linear', refusing, { now, settleMs: 0 })).rejects.toThrow(
      'invalid_grant',
    );
  });
});
