import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthFlowError,
  authorizeWithDeviceCode,
  authorizeWithPkce,
  githubOAuth,
  linearOAuth,
  REDACTED,
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
beforeAll(async () => {
  server = await startLoopbackOAuthServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.authorize = 'approve';
  server.deviceSteps = ['approve'];
});

/** Replaces the token endpoint's answer, keeping what the client sent so the test knows the secrets. */
function answering(build: (sent: URLSearchParams) => Response) {
  const sent: URLSearchParams[] = [];
  return {
    sent,
    fetch: async (_input: Request | string | URL, init?: RequestInit) => {
      const body = new URLSearchParams(String(init?.body ?? ''));
      sent.push(body);
      return build(body);
    },
  };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('no token, code, verifier or client secret is ever printed, logged or thrown', () => {
  it('a vendor that echoes the code, the verifier and the secret in its error is redacted', async () => {
    const out = capture();
    const vendor = answering((sent) =>
      json(
        {
          error: 'invalid_grant',
          error_description: `code ${sent.get('code')} and verifier ${sent.get('code_verifier')} rejected for client_secret ${CLIENT_SECRET}`,
        },
        400,
      ),
    );
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth(server.linear),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        context: { print: out.print, openUrl: browse },
        logger: out.logger,
        fetch: vendor.fetch,
      }),
    );
    out.error(error);
    const [sent] = vendor.sent;
    expect(error.message).toBe(
      `linear refused the token request (invalid_grant: code ${REDACTED} and verifier ${REDACTED} rejected for client_secret ${REDACTED}); nothing was saved`,
    );
    expectNoSecrets(out.everything(), [
      sent?.get('code') ?? '',
      sent?.get('code_verifier') ?? '',
      CLIENT_SECRET,
    ]);
  });

  it('a token answer the library refuses (unknown token_type) does not carry the token into the error', async () => {
    const out = capture();
    const accessToken = 'lin_oauth_5c0ff33c0ff33c0ff33c0ff33c0ff33c';
    const vendor = answering(() =>
      json({ access_token: accessToken, token_type: 'mac', refresh_token: 'r'.repeat(32) }),
    );
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth(server.linear),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        context: { print: out.print, openUrl: browse },
        logger: out.logger,
        fetch: vendor.fetch,
      }),
    );
    out.error(error);
    expect(error).toBeInstanceOf(AuthFlowError);
    expect(error.cause).toBeUndefined();
    expect(error.message).toContain('the linear token request failed');
    expectNoSecrets(out.everything(), [
      accessToken,
      'r'.repeat(32),
      vendor.sent[0]?.get('code_verifier') ?? '',
    ]);
  });

  it('a refresh failure that quotes the refresh token is redacted', async () => {
    const out = capture();
    const refreshToken = 'lin_refresh_7e57ab1e7e57ab1e7e57ab1e7e57';
    const vendor = answering((sent) =>
      json(
        { error: 'invalid_grant', error_description: `refresh_token=${sent.get('refresh_token')} revoked` },
        400,
      ),
    );
    const error = await rejectionOf(
      refreshCredential(
        { accessToken: 'lin_oauth_old0000000000000000000', refreshToken, scopes: ['read'] },
        {
          provider: linearOAuth(server.linear),
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          fetch: vendor.fetch,
          logger: out.logger,
        },
      ),
    );
    out.error(error);
    expect(error.message).toContain(`refresh_token=${REDACTED} revoked`);
    expectNoSecrets(out.everything(), [refreshToken, CLIENT_SECRET]);
  });

  it('a whole device flow prints the user code but never the device code or the token', async () => {
    server.deviceSteps = ['pending', 'slow_down', 'approve'];
    const out = capture();
    const credential = await authorizeWithDeviceCode({
      provider: githubOAuth(server.github),
      clientId: CLIENT_ID,
      context: { print: out.print, openUrl: async () => {} },
      sleep: async () => {},
      logger: out.logger,
    });
    expect(out.printed.join('\n')).toContain('WDJB-MJHT');
    expectNoSecrets(out.everything(), [...server.secrets(), credential.accessToken]);
  });

  it('every secret the loopback vendors issued in this file stayed out of everything captured', async () => {
    const out = capture();
    const credential = await authorizeWithPkce({
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      context: { print: out.print, openUrl: browse },
      logger: out.logger,
    });
    const fresh = await refreshCredential(credential, {
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      logger: out.logger,
    });
    expect(out.logged.length).toBeGreaterThan(0);
    expectNoSecrets(out.everything(), [...server.secrets(), fresh.accessToken, fresh.refreshToken ?? '']);
  });
});
