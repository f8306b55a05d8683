import { createHash, randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { OAuthEndpointOverrides } from '../../src/index.ts';
import { listen } from './loopback.ts';

/**
 * A loopback stand-in for the three vendors' OAuth servers, speaking each one's dialect as documented:
 * - Linear (https://linear.app/developers/oauth-2-0-authentication): comma-separated `scope` on the
 *   authorize URL, PKCE S256, client credentials in the form body, RFC 6749 JSON answers with HTTP 400
 *   errors, rotating refresh tokens;
 * - Slack (https://docs.slack.dev/reference/methods/oauth.v2.access): client credentials in HTTP Basic,
 *   PKCE via `code_verifier`, every answer HTTP 200 with `ok`, `token_type: "bot"`, comma-separated
 *   `scope`, `authed_user`;
 * - GitHub (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow):
 *   the device flow, form-encoded answers unless `Accept: application/json`, polling errors with HTTP 200,
 *   `slow_down` carrying the new interval.
 * The server checks what the real ones check (client id and secret, redirect URI, single-use codes,
 * the PKCE verifier against the challenge) and records every request and every secret it issues,
 * so tests can prove the client never printed or logged one.
 */
export const CLIENT_ID = 'factory-test-client';
export const CLIENT_SECRET = 'cs_4f1d0c7e9b2a48d1a0e3c5f7b9d1e3f5';

export type AuthorizeBehaviour = 'approve' | 'deny' | 'wrong-state';
export type DeviceStep = 'pending' | 'slow_down' | 'approve' | 'deny' | 'expire';

interface PendingCode {
  vendor: 'linear' | 'slack';
  redirectUri: string;
  challenge?: string;
  scopes: string[];
}

interface DeviceGrant {
  steps: DeviceStep[];
  interval: number;
  scopes: string[];
  polls: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  form: Record<string, string>;
}

export interface LoopbackOAuthServer {
  url: string;
  linear: OAuthEndpointOverrides;
  slack: OAuthEndpointOverrides;
  github: OAuthEndpointOverrides;
  /** What the next browser visit to an authorize URL does. */
  authorize: AuthorizeBehaviour;
  /** The answers, in order, to polls of the next device code; the last one repeats. */
  deviceSteps: DeviceStep[];
  /** Scopes Slack grants regardless of the request (to simulate a partial grant); default what was asked. */
  slackGrants?: string[];
  /** GitHub issues expiring user tokens with refresh tokens (a GitHub App) instead of OAuth app tokens. */
  githubExpiringTokens: boolean;
  /** Lifetime of Linear access tokens in seconds. */
  linearExpiresIn: number;
  /** The vendor's refusal of the next code exchanges (Linear: HTTP 400 with it; Slack: `ok: false`). */
  exchangeError?: { error: string; description: string };
  requests: RecordedRequest[];
  /** Every secret the server issued or received: codes, tokens, device codes, verifiers, the client secret. */
  secrets(): string[];
  /** Refresh grants answered so far. */
  refreshCount(): number;
  close(): Promise<void>;
}

function token(prefix: string): string {
  return `${prefix}${randomBytes(20).toString('hex')}`;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export async function startLoopbackOAuthServer(): Promise<LoopbackOAuthServer> {
  const codes = new Map<string, PendingCode>();
  const deviceGrants = new Map<string, DeviceGrant>();
  const refreshTokens = new Map<string, string[]>();
  const issued = new Set<string>([CLIENT_SECRET]);
  let refreshes = 0;
  const app = new Hono();

  const state: LoopbackOAuthServer = {
    url: '',
    linear: {},
    slack: {},
    github: {},
    authorize: 'approve',
    deviceSteps: ['approve'],
    linearExpiresIn: 86_399,
    githubExpiringTokens: false,
    requests: [],
    secrets: () => [...issued],
    refreshCount: () => refreshes,
    close: async () => {},
  };

  app.use('*', async (c, next) => {
    const form: Record<string, string> = {};
    if (c.req.method === 'POST') {
      const text = await c.req.raw.clone().text();
      for (const [key, value] of new URLSearchParams(text)) form[key] = value;
    }
    state.requests.push({
      method: c.req.method,
      path: new URL(c.req.url).pathname + new URL(c.req.url).search,
      headers: Object.fromEntries(c.req.raw.headers.entries()),
      form,
    });
    await next();
  });

  /** The browser's visit to the vendor's consent page, answered the way `state.authorize` says. */
  const authorizeRoute = (vendor: 'linear' | 'slack') => (c: import('hono').Context) => {
    const q = new URL(c.req.url).searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    const problems: string[] = [];
    if (q.get('client_id') !== CLIENT_ID) problems.push('unknown client_id');
    if (q.get('response_type') !== 'code') problems.push('response_type must be code');
    if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(redirectUri))
      problems.push('redirect_uri must be a loopback URL');
    if (!q.get('state')) problems.push('state is required');
    if (!q.get('scope')) problems.push('scope is required');
    if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge'))
      problems.push('PKCE S256 is required');
    if (problems.length > 0) return c.text(problems.join('; '), 400);

    const back = new URL(redirectUri);
    if (state.authorize === 'deny') {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('state', q.get('state') ?? '');
      return c.redirect(back.href, 302);
    }
    const code = token(vendor === 'slack' ? '4724469134.' : '');
    issued.add(code);
    codes.set(code, {
      vendor,
      redirectUri,
      challenge: q.get('code_challenge') ?? undefined,
      scopes: (q.get('scope') ?? '').split(','),
    });
    back.searchParams.set('code', code);
    back.searchParams.set(
      'state',
      state.authorize === 'wrong-state' ? 'forged-state-value' : (q.get('state') ?? ''),
    );
    return c.redirect(back.href, 302);
  };

  /** Validates a code exchange; the error code, or the pending grant. */
  const redeem = (form: Record<string, string>): { error: string; description: string } | PendingCode => {
    const code = form.code ?? '';
    const pending = codes.get(code);
    if (!pending) return { error: 'invalid_grant', description: 'unknown or already used code' };
    codes.delete(code); // single use, like the real ones
    if (form.redirect_uri !== pending.redirectUri)
      return { error: 'invalid_grant', description: 'redirect_uri mismatch' };
    if (pending.challenge) {
      const verifier = form.code_verifier ?? '';
      issued.add(verifier);
      if (s256(verifier) !== pending.challenge) {
        return { error: 'invalid_grant', description: 'code_verifier does not match the code_challenge' };
      }
    }
    return pending;
  };

  app.get('/linear/oauth/authorize', authorizeRoute('linear'));
  app.get('/slack/oauth/v2/authorize', authorizeRoute('slack'));

  app.post('/linear/oauth/token', async (c) => {
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    if (form.client_id !== CLIENT_ID || form.client_secret !== CLIENT_SECRET) {
      return c.json({ error: 'invalid_client', error_description: 'client authentication failed' }, 401);
    }
    if (form.grant_type === 'authorization_code') {
      if (state.exchangeError) return c.json(state.exchangeError, 400);
      const result = redeem(form);
      if ('error' in result)
        return c.json({ error: result.error, error_description: result.description }, 400);
      return c.json(linearTokens(result.scopes));
    }
    if (form.grant_type === 'refresh_token') {
      const scopes = refreshTokens.get(form.refresh_token ?? '');
      if (!scopes)
        return c.json(
          { error: 'invalid_grant', error_description: 'refresh token is invalid or was already used' },
          400,
        );
      refreshTokens.delete(form.refresh_token ?? ''); // rotation: a refresh token works once
      refreshes += 1;
      return c.json(linearTokens(scopes));
    }
    return c.json({ error: 'unsupported_grant_type' }, 400);
  });

  const linearTokens = (scopes: string[]) => {
    const access = token('lin_oauth_');
    const refresh = token('lin_refresh_');
    issued.add(access);
    issued.add(refresh);
    refreshTokens.set(refresh, scopes);
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: state.linearExpiresIn,
      scope: scopes.join(' '),
      refresh_token: refresh,
    };
  };

  app.post('/slack/api/oauth.v2.access', async (c) => {
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    const client = basicCredentials(c.req.header('authorization'));
    if (client?.id !== CLIENT_ID || client.secret !== CLIENT_SECRET)
      return c.json({ ok: false, error: 'invalid_client_id' });
    if (state.exchangeError) return c.json({ ok: false, error: state.exchangeError.error });
    const result = redeem(form);
    if ('error' in result) {
      return c.json({
        ok: false,
        error: result.description.includes('verifier') ? 'invalid_code_verifier' : 'invalid_code',
      });
    }
    const access = token('xoxb-17653672481-');
    issued.add(access);
    return c.json({
      ok: true,
      access_token: access,
      token_type: 'bot',
      scope: (state.slackGrants ?? result.scopes).join(','),
      bot_user_id: 'U0KRQLJ9H',
      app_id: 'A0KRD7HC3',
      team: { name: 'Slack Softball Team', id: 'T9TK3CUKW' },
      enterprise: null,
      is_enterprise_install: false,
      authed_user: { id: 'U1234' },
    });
  });

  /** GitHub answers form-encoded unless asked for JSON. */
  const github = (c: import('hono').Context, body: Record<string, string | number>) => {
    if ((c.req.header('accept') ?? '').includes('application/json')) return c.json(body, 200);
    const form = new URLSearchParams(Object.entries(body).map(([key, value]) => [key, String(value)]));
    return c.body(form.toString(), 200, {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    });
  };

  app.post('/github/login/device/code', async (c) => {
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    if (form.client_id !== CLIENT_ID) return github(c, { error: 'unauthorized_client' });
    const deviceCode = token('');
    issued.add(deviceCode);
    deviceGrants.set(deviceCode, {
      steps: [...state.deviceSteps],
      interval: 5,
      scopes: (form.scope ?? '').split(' ').filter(Boolean),
      polls: 0,
    });
    return github(c, {
      device_code: deviceCode,
      user_code: 'WDJB-MJHT',
      verification_uri: `${state.url}/github/login/device`,
      expires_in: 900,
      interval: 5,
    });
  });

  app.post('/github/login/oauth/access_token', async (c) => {
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    if (form.client_id !== CLIENT_ID) return github(c, { error: 'incorrect_client_credentials' });
    if (form.grant_type === 'refresh_token') {
      // GitHub Apps with expiring user tokens: a refresh token works once; failures come with HTTP 200.
      const scopes = refreshTokens.get(form.refresh_token ?? '');
      if (!scopes)
        return github(c, {
          error: 'bad_refresh_token',
          error_description: 'The refresh token passed is incorrect or expired.',
        });
      refreshTokens.delete(form.refresh_token ?? '');
      refreshes += 1;
      return github(c, githubTokens(scopes));
    }
    if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:device_code') {
      return github(c, { error: 'unsupported_grant_type' });
    }
    const grant = deviceGrants.get(form.device_code ?? '');
    if (!grant)
      return github(c, {
        error: 'incorrect_device_code',
        error_description: 'The device_code provided is not valid.',
      });
    const step =
      grant.steps.length > 1 ? (grant.steps.shift() as DeviceStep) : (grant.steps[0] as DeviceStep);
    grant.polls += 1;
    switch (step) {
      case 'pending':
        return github(c, {
          error: 'authorization_pending',
          error_description: 'The authorization request is still pending.',
          error_uri:
            'https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow',
        });
      case 'slow_down':
        grant.interval += 5;
        return github(c, {
          error: 'slow_down',
          error_description: 'Too many requests have been made in the same timeframe.',
          error_uri:
            'https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow',
          interval: grant.interval,
        });
      case 'deny':
        return github(c, {
          error: 'access_denied',
          error_description: 'The authorization request was denied.',
        });
      case 'expire':
        return github(c, { error: 'expired_token', error_description: 'The device_code has expired.' });
      case 'approve': {
        deviceGrants.delete(form.device_code ?? '');
        return github(c, githubTokens(grant.scopes));
      }
    }
  });

  /** A GitHub App user token expires after eight hours and comes with a refresh token; OAuth app tokens do not. */
  const githubTokens = (scopes: string[]): Record<string, string | number> => {
    if (!state.githubExpiringTokens) {
      const access = token('gho_');
      issued.add(access);
      return { access_token: access, token_type: 'bearer', scope: scopes.join(',') };
    }
    const access = token('ghu_');
    const refresh = token('ghr_');
    issued.add(access);
    issued.add(refresh);
    refreshTokens.set(refresh, scopes);
    return {
      access_token: access,
      expires_in: 28_800,
      refresh_token: refresh,
      refresh_token_expires_in: 15_811_200,
      scope: '',
      token_type: 'bearer',
    };
  };

  app.get('/github/login/device', (c) => c.html('<p>Enter the code shown in your terminal.</p>'));

  const server = await listen(app);
  state.url = server.url;
  state.close = server.close;
  state.linear = {
    authorizationEndpoint: `${server.url}/linear/oauth/authorize`,
    tokenEndpoint: `${server.url}/linear/oauth/token`,
  };
  state.slack = {
    authorizationEndpoint: `${server.url}/slack/oauth/v2/authorize`,
    tokenEndpoint: `${server.url}/slack/api/oauth.v2.access`,
  };
  state.github = {
    deviceAuthorizationEndpoint: `${server.url}/github/login/device/code`,
    tokenEndpoint: `${server.url}/github/login/oauth/access_token`,
  };
  return state;
}

/** RFC 6749 §2.3.1: HTTP Basic over the form-urlencoded client id and secret. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic (.+)$/.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const [id, secret] = Buffer.from(match[1], 'base64').toString('utf8').split(':');
  const decode = (part: string | undefined) => decodeURIComponent((part ?? '').replace(/\+/g, ' '));
  return { id: decode(id), secret: decode(secret) };
}

/**
 * The browser: follows the vendor's consent page redirect back to the loopback listener with real
 * HTTP requests, as a person clicking "Allow" would.
 */
export async function browse(url: string): Promise<void> {
  const consent = await fetch(url, { redirect: 'manual' });
  const location = consent.headers.get('location');
  if (consent.status !== 302 || !location) {
    throw new Error(`the consent page did not redirect (HTTP ${consent.status}: ${await consent.text()})`);
  }
  const back = await fetch(location);
  await back.text();
}

/**
 * The browser's first hop: visits the vendor's consent page and returns where the vendor sends it back
 * (the redirect URI with `code` and `state`, or `error`), without following it.
 */
export async function consent(url: string): Promise<string> {
  const page = await fetch(url, { redirect: 'manual' });
  const location = page.headers.get('location');
  if (page.status !== 302 || !location) {
    throw new Error(`the consent page did not redirect (HTTP ${page.status}: ${await page.text()})`);
  }
  await page.body?.cancel();
  return location;
}
