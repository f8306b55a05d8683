import type { Credential, Logger } from '@software-factory/sdk';
import { errorMessage, silentLogger } from '@software-factory/sdk';
import * as oauth from 'oauth4webapi';
import * as z from 'zod/mini';
import { AuthFlowError } from './auth-error.ts';
import { clientOptionsOf, clientOptionsSchema } from './client-options.ts';
import type { ConnectPrompt } from './connect-context.ts';
import { authorizationFailure, tokenRequestFailure } from './flow-failures.ts';
import { startLoopbackRedirect } from './loopback-redirect.ts';
import { formatWait } from './network-failure.ts';
import { type OAuthClientOptions, oauthPlumbing, receivedCredential } from './oauth-client.ts';
import { redeemAuthorizationCode } from './oauth-grants.ts';
import type { OAuthProvider } from './oauth-providers.ts';
import { parseOptions } from './parse-options.ts';
import { SecretSet } from './redact.ts';
import { reservedParameters } from './reserved-parameters.ts';

export interface AuthorizationCodeOptions extends OAuthClientOptions {
  provider: OAuthProvider;
  /** The interactive side: `openUrl` (the caller opens the browser), `print`, `signal`, `scopes`. */
  context: ConnectPrompt;
  /** Exactly these scopes are requested; default `context.scopes`, then the provider's `defaultScopes`. */
  scopes?: readonly string[];
  /** Loopback port; 0 (default) picks a free one. Fix it when the vendor matches redirect URIs exactly. */
  port?: number;
  callbackPath?: string;
  /** Default five minutes: enough to sign in, short enough that a forgotten terminal gives up. */
  timeoutMs?: number;
  /** Vendor extras for the authorization URL, e.g. Linear's `actor=app`, Slack's `user_scope`. */
  authorizationParameters?: Record<string, string>;
  logger?: Logger;
  now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

const optionsSchema = z.extend(clientOptionsSchema, {
  port: z.optional(z.int().check(z.minimum(0), z.maximum(65_535))),
  callbackPath: z.optional(
    z.string().check(z.regex(/^\/[A-Za-z0-9/_-]*$/, 'must be a path such as /callback')),
  ),
  timeoutMs: z.optional(z.int().check(z.positive())),
  authorizationParameters: z.optional(z.record(z.string(), z.string())),
});

/**
 * OAuth 2 authorization code with PKCE (S256) through a loopback redirect (RFC 8252): listen on
 * 127.0.0.1, show and open the authorization URL, wait for the browser to come back, check `state`,
 * exchange the code with the verifier. Returns the credential; saving it is the caller's choice.
 */
export async function authorizeWithPkce(options: AuthorizationCodeOptions): Promise<Credential> {
  const { provider, context } = options;
  const parsed = parseOptions(
    optionsSchema,
    {
      ...clientOptionsOf(options),
      port: options.port,
      callbackPath: options.callbackPath,
      timeoutMs: options.timeoutMs,
      authorizationParameters: options.authorizationParameters,
    },
    `${provider.name} authorization`,
  );
  if (!provider.authorizationEndpoint) {
    throw new Error(`${provider.name} has no authorization endpoint; use its device flow instead`);
  }
  const reserved = reservedParameters(parsed.authorizationParameters);
  if (reserved.length > 0) {
    throw new Error(
      `invalid ${provider.name} authorization options: ${reserved.join(', ')} cannot be overridden`,
    );
  }

  const scopes = [...(options.scopes ?? context.scopes ?? provider.defaultScopes)];
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const secrets = new SecretSet();
  secrets.add(options.clientSecret);
  const print = secrets.printer((message) => context.print(message));

  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  secrets.add(verifier);
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);

  let listener: Awaited<ReturnType<typeof startLoopbackRedirect>>;
  try {
    listener = await startLoopbackRedirect({
      ...(parsed.port !== undefined ? { port: parsed.port } : {}),
      ...(parsed.callbackPath ? { path: parsed.callbackPath } : {}),
      timeoutMs: parsed.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(context.signal ? { signal: context.signal } : {}),
    });
  } catch (error) {
    throw new AuthFlowError(
      provider.name,
      'listener-failed',
      `cannot listen for the ${provider.name} sign-in redirect on 127.0.0.1:${parsed.port ?? 0} (${errorMessage(error)}); free the port or choose another`,
    );
  }

  try {
    const url = new URL(provider.authorizationEndpoint);
    url.searchParams.set('client_id', parsed.clientId);
    url.searchParams.set('redirect_uri', listener.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', scopes.join(provider.scopeSeparator));
    url.searchParams.set('state', state);
    url.searchParams.set('code_challenge', challenge);
    url.searchParams.set('code_challenge_method', 'S256');
    for (const [key, value] of Object.entries(parsed.authorizationParameters ?? {})) {
      url.searchParams.set(key, value);
    }

    print(
      `To connect ${provider.name}, open this URL in a browser (scopes: ${scopes.join(', ')}):\n  ${url.href}`,
    );
    print(
      `Waiting up to ${formatWait(parsed.timeoutMs ?? DEFAULT_TIMEOUT_MS)} for the browser to come back here; Ctrl-C cancels (nothing is saved).`,
    );
    logger.info('oauth authorization started', {
      provider: provider.name,
      scopes,
      redirectUri: listener.redirectUri,
    });
    // The browser is the caller's business and may never return (a headless machine): do not wait on it.
    Promise.resolve()
      .then(() => context.openUrl(url.href))
      .catch((error: unknown) => {
        print(
          `Could not open a browser (${secrets.text(errorMessage(error))}); open the URL above yourself.`,
        );
      });

    const outcome = await listener.outcome;
    if (outcome.kind === 'timeout') {
      throw new AuthFlowError(
        provider.name,
        'timeout',
        `no answer from the ${provider.name} sign-in within ${Math.round((parsed.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s; nothing was saved, run the connect again`,
      );
    }
    if (outcome.kind === 'aborted') {
      throw new AuthFlowError(
        provider.name,
        'aborted',
        `connecting ${provider.name} was cancelled; nothing was saved`,
      );
    }

    const plumbing = oauthPlumbing(provider, options, context.signal);
    const callback = outcome.url;
    secrets.add(callback.searchParams.get('code') ?? undefined);
    // Checked before anything else in the redirect, an `error=access_denied` included: a redirect
    // that is not the answer to this sign-in is not believed at all.
    if (callback.searchParams.get('state') !== state) {
      throw new AuthFlowError(
        provider.name,
        'state-mismatch',
        `the ${provider.name} redirect carried a state that does not match this sign-in (a stale browser tab, or a forged redirect); it was rejected and nothing was saved. Run the connect again`,
      );
    }
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(plumbing.server, plumbing.client, callback, state);
    } catch (error) {
      throw authorizationFailure(provider, error, scopes, secrets);
    }
    logger.info('oauth redirect received', { provider: provider.name });

    try {
      const tokens = await redeemAuthorizationCode(plumbing, params, listener.redirectUri, verifier);
      return receivedCredential(tokens, scopes, { provider, secrets, logger, print, now: now() });
    } catch (error) {
      throw tokenRequestFailure(provider, error, secrets);
    }
  } finally {
    await listener.close();
  }
}
