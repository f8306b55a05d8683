import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthFlowError, authorizeWithPkce, linearOAuth, slackOAuth } from '../src/index.ts';
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
  server.requests.length = 0;
  server.slackGrants = undefined;
});

/** A connect context whose "browser" follows the consent redirect back to the listener. */
function browserContext(out = capture(), opened: string[] = []) {
  return {
    out,
    opened,
    context: {
      print: out.print,
      openUrl: async (url: string) => {
        opened.push(url);
        await browse(url);
      },
    },
  };
}

describe('authorization code with PKCE through a loopback redirect', () => {
  it('connects Linear: the browser comes back, the code is exchanged with the verifier, a credential is returned', async () => {
    const { out, context, opened } = browserContext();
    const credential = await authorizeWithPkce({
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      context,
      logger: out.logger,
      now: () => 1_000_000,
    });

    expect(credential.accessToken).toMatch(/^lin_oauth_/);
    expect(credential.refreshToken).toMatch(/^lin_refresh_/);
    expect(credential.expiresAt).toBe(1_000_000 + 86_399_000);
    expect(credential.scopes).toEqual(['read', 'write']);
    expect(credential.tokenType).toBe('bearer');

    const url = new URL(opened[0] ?? '');
    expect(url.searchParams.get('scope')).toBe('read,write');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(url.searchParams.get('state')).toBeTruthy();
    // Printed too, for machines where no browser opens.
    expect(out.printed.some((line) => line.includes(url.href))).toBe(true);

    const exchange = server.requests.find((request) => request.path === '/linear/oauth/token');
    expect(exchange?.form.grant_type).toBe('authorization_code');
    expect(exchange?.form.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expectNoSecrets(out.everything(), [...server.secrets(), credential.accessToken]);
  });

  it('requests exactly the scopes it is given, joined the way the vendor wants', async () => {
    const { context, opened } = browserContext();
    const credential = await authorizeWithPkce({
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      scopes: ['read', 'issues:create', 'comments:create'],
      context,
    });
    expect(new URL(opened[0] ?? '').searchParams.get('scope')).toBe('read,issues:create,comments:create');
    expect(credential.scopes).toEqual(['read', 'issues:create', 'comments:create']);
  });

  it("falls back to the context's scopes before the provider's defaults", async () => {
    const { context, opened } = browserContext();
    await authorizeWithPkce({
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      context: { ...context, scopes: ['read'] },
    });
    expect(new URL(opened[0] ?? '').searchParams.get('scope')).toBe('read');
  });

  it('connects Slack: Basic client authentication, the bot token, the granted scopes from a comma list', async () => {
    server.slackGrants = ['chat:write', 'channels:history', 'users:read'];
    const { out, context, opened } = browserContext();
    const credential = await authorizeWithPkce({
      provider: slackOAuth(server.slack),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      context,
      logger: out.logger,
    });
    expect(credential.accessToken).toMatch(/^xoxb-/);
    expect(credential.tokenType).toBe('bot');
    expect(credential.scopes).toEqual(['chat:write', 'channels:history', 'users:read']);
    expect(new URL(opened[0] ?? '').searchParams.get('scope')).toBe('chat:write,channels:history');
    const exchange = server.requests.find((request) => request.path === '/slack/api/oauth.v2.access');
    expect(exchange?.headers.authorization).toMatch(/^Basic /);
    expect(exchange?.form.client_secret).toBeUndefined();
    expectNoSecrets(out.everything(), server.secrets());
  });

  it('passes vendor extras such as Linear actor=app, but never lets them replace PKCE or state', async () => {
    const { context, opened } = browserContext();
    await authorizeWithPkce({
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      authorizationParameters: { actor: 'app', prompt: 'consent' },
      context,
    });
    expect(new URL(opened[0] ?? '').searchParams.get('actor')).toBe('app');

    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth(server.linear),
        clientId: CLIENT_ID,
        authorizationParameters: { code_challenge_method: 'plain' },
        context,
      }),
    );
    expect(error.message).toContain('code_challenge_method cannot be overridden');
  });
});

describe('the authorization server verifies PKCE', () => {
  it('rejects a code exchanged with a verifier that does not match the challenge', async () => {
    const out = capture();
    let sentVerifier = '';
    // A man in the middle who stole the code but not the verifier: swaps in a verifier of his own.
    const tamperingFetch = async (input: Request | string | URL, init?: RequestInit) => {
      const body = new URLSearchParams(String(init?.body ?? ''));
      if (body.has('code_verifier')) {
        sentVerifier = 'attacker-verifier-attacker-verifier-attacker-verifier';
        body.set('code_verifier', sentVerifier);
      }
      return fetch(input, { ...init, body: body.toString() });
    };
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth(server.linear),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        context: { print: out.print, openUrl: browse },
        fetch: tamperingFetch,
        logger: out.logger,
      }),
    );
    out.error(error);
    expect(error).toBeInstanceOf(AuthFlowError);
    expect((error as AuthFlowError).failure).toBe('token-request-failed');
    expect(error.message).toContain('invalid_grant');
    expect(error.message).toContain('code_verifier does not match the code_challenge');
    expect(sentVerifier).not.toBe('');
    expectNoSecrets(out.everything(), server.secrets());
  });

  it('rejects a wrong verifier on Slack too, which answers HTTP 200 { ok: false }', async () => {
    const tamperingFetch = async (input: Request | string | URL, init?: RequestInit) => {
      const body = new URLSearchParams(String(init?.body ?? ''));
      body.set('code_verifier', 'x'.repeat(43));
      return fetch(input, { ...init, body: body.toString() });
    };
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: slackOAuth(server.slack),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        context: { print: () => {}, openUrl: browse },
        fetch: tamperingFetch,
      }),
    );
    expect((error as AuthFlowError).failure).toBe('token-request-failed');
    expect(error.message).toContain('invalid_code_verifier');
  });

  it('cannot redeem a code twice', async () => {
    let code = '';
    let redirectUri = '';
    const { context } = browserContext();
    await authorizeWithPkce({
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      context,
      fetch: async (input, init) => {
        const body = new URLSearchParams(String(init?.body ?? ''));
        code = body.get('code') ?? '';
        redirectUri = body.get('redirect_uri') ?? '';
        return fetch(input, init);
      },
    });
    const replay = await fetch(`${server.url}/linear/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }).toString(),
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('redirects that must not be believed', () => {
  it('rejects a redirect whose state does not match, and never exchanges its code', async () => {
    server.authorize = 'wrong-state';
    const out = capture();
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth(server.linear),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        context: { print: out.print, openUrl: browse },
        logger: out.logger,
      }),
    );
    out.error(error);
    expect((error as AuthFlowError).failure).toBe('state-mismatch');
    expect(error.message).toMatch(/state that does not match/);
    expect(server.requests.some((request) => request.path === '/linear/oauth/token')).toBe(false);
    expectNoSecrets(out.everything(), server.secrets());
  });

  it('reports a denied grant (error=access_denied) with what to do next', async () => {
    server.authorize = 'deny';
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth(server.linear),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        context: { print: () => {}, openUrl: browse },
      }),
    );
    expect(error).toBeInstanceOf(AuthFlowError);
    expect((error as AuthFlowError).failure).toBe('access-denied');
    expect(error.message).toBe(
      'the linear authorization was denied in the browser (access_denied); nothing was saved. Run the connect again and approve the scopes read, write',
    );
  });

  it('believes no error from a redirect with a foreign state: a forged access_denied is a state mismatch', async () => {
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth(server.linear),
        clientId: CLIENT_ID,
        context: {
          print: () => {},
          openUrl: async (url) => {
            const back = new URL(new URL(url).searchParams.get('redirect_uri') ?? '');
            back.searchParams.set('error', 'access_denied');
            back.searchParams.set('state', 'not-the-state-we-sent');
            await (await fetch(back)).text();
          },
        },
      }),
    );
    expect((error as AuthFlowError).failure).toBe('state-mismatch');
  });

  it('answers later visits to the callback with 410 and ignores them', async () => {
    let redirect = '';
    await authorizeWithPkce({
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      context: {
        print: () => {},
        openUrl: async (url) => {
          const consent = await fetch(url, { redirect: 'manual' });
          redirect = consent.headers.get('location') ?? '';
          await (await fetch(redirect)).text();
          const again = await fetch(redirect);
          expect(again.status).toBe(410);
          await again.text();
        },
      },
    });
    expect(redirect).not.toBe('');
  });
});

describe('waiting for the browser', () => {
  it('gives up after the timeout with a clear message and closes the listener', async () => {
    const opened: string[] = [];
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth(server.linear),
        clientId: CLIENT_ID,
        context: { print: () => {}, openUrl: async (url) => void opened.push(url) },
        timeoutMs: 1,
      }),
    );
    expect((error as AuthFlowError).failure).toBe('timeout');
    expect(error.message).toContain('nothing was saved');
    const redirectUri = new URL(opened[0] ?? '').searchParams.get('redirect_uri') ?? '';
    await expect(fetch(redirectUri)).rejects.toThrow();
  });

  it('stops when the context is aborted', async () => {
    const controller = new AbortController();
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth(server.linear),
        clientId: CLIENT_ID,
        context: { print: () => {}, openUrl: async () => controller.abort(), signal: controller.signal },
      }),
    );
    expect((error as AuthFlowError).failure).toBe('aborted');
  });

  it('keeps waiting when no browser can be opened, so a person can open the printed URL', async () => {
    const out = capture();
    const credential = await authorizeWithPkce({
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      context: {
        print: (message) => {
          out.print(message);
          const url = /https?:\/\/\S+/.exec(message)?.[0];
          if (url?.includes('/oauth/authorize')) void browse(url);
        },
        openUrl: async () => {
          throw new Error('xdg-open: no display');
        },
      },
    });
    expect(credential.accessToken).toMatch(/^lin_oauth_/);
    expect(out.printed.some((line) => line.includes('Could not open a browser (xdg-open: no display)'))).toBe(
      true,
    );
  });

  it('listens on a fixed port when one is configured, and says so clearly when it is taken', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => {
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port));
    });
    try {
      const error = await rejectionOf(
        authorizeWithPkce({
          provider: linearOAuth(server.linear),
          clientId: CLIENT_ID,
          port,
          context: { print: () => {}, openUrl: browse },
        }),
      );
      expect((error as AuthFlowError).failure).toBe('listener-failed');
      expect(error.message).toContain(`127.0.0.1:${port}`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }

    const opened: string[] = [];
    await authorizeWithPkce({
      provider: linearOAuth(server.linear),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      port,
      callbackPath: '/oauth/linear',
      context: {
        print: () => {},
        openUrl: async (url) => {
          opened.push(url);
          await browse(url);
        },
      },
    });
    expect(new URL(opened[0] ?? '').searchParams.get('redirect_uri')).toBe(
      `http://127.0.0.1:${port}/oauth/linear`,
    );
  });
});

describe('bad options are refused before anything listens or is printed', () => {
  const context = { print: () => {}, openUrl: browse };
  it.each([
    [{ clientId: '' }, 'clientId: clientId is required'],
    [{ clientId: CLIENT_ID, scopes: [] }, 'scopes: request at least one scope'],
    [{ clientId: CLIENT_ID, port: 70_000 }, 'port:'],
    [{ clientId: CLIENT_ID, port: 1.5 }, 'port:'],
    [{ clientId: CLIENT_ID, timeoutMs: 0 }, 'timeoutMs:'],
    [{ clientId: CLIENT_ID, callbackPath: 'callback' }, 'callbackPath: must be a path such as /callback'],
  ])('%j', async (options, message) => {
    const printed: string[] = [];
    const error = await rejectionOf(
      authorizeWithPkce({
        provider: linearOAuth(server.linear),
        ...options,
        context: { ...context, print: (line) => printed.push(line) },
      }),
    );
    expect(error.message).toContain('invalid linear authorization options');
    expect(error.message).toContain(message);
    expect(printed).toEqual([]);
  });

  it('refuses endpoint overrides that are not URLs', () => {
    expect(() => linearOAuth({ tokenEndpoint: 'not a url' })).toThrow(
      /invalid linear OAuth endpoint options: tokenEndpoint/,
    );
    expect(() => slackOAuth({ authorizationEndpoint: 'slack.com/oauth' })).toThrow(/authorizationEndpoint/);
  });

  it('refuses unknown override fields rather than ignoring a typo', () => {
    expect(() => linearOAuth({ tokenUrl: 'https://example.com' } as never)).toThrow(
      /invalid linear OAuth endpoint options/,
    );
  });
});
