import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Credential } from '@software-factory/sdk';
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
