import type { Credential, CredentialStore, Logger } from '@software-factory/sdk';
import { silentLogger } from '@software-factory/sdk';
import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { AuthFlowError } from './auth-error.ts';
import { tokenRequestFailure } from './flow-failures.ts';
import { credentialFrom, type OAuthClientOptions, oauthPlumbing } from './oauth-client.ts';
import type { OAuthProvider } from './oauth-providers.ts';
import { parseOptions } from './parse-options.ts';
import { SecretSet } from './redact.ts';

/** Turns a credential that is about to expire into a fresh one. */
export type Refresher = (credential: Credential) => Promise<Credential>;

export interface RefreshOptions extends OAuthClientOptions {
  provider: OAuthProvider;
  signal?: AbortSignal;
  logger?: Logger;
  now?: () => number;
}

const optionsSchema = z.object({
  clientId: z.string().min(1, 'clientId is required'),
  clientSecret: z.string().min(1).optional(),
});

/**
 * The refresh_token grant. Vendors that rotate refresh tokens (Linear, Slack) send a new one; those
 * that do not keep the old one valid, so it is carried over. A missing `scope` means "unchanged".
 */
export async function refreshCredential(
  credential: Credential,
  options: RefreshOptions,
): Promise<Credential> {
  const { provider } = options;
  const parsed = parseOptions(
    optionsSchema,
    { clientId: options.clientId, clientSecret: options.clientSecret },
    `${provider.name} refresh`,
  );
  const secrets = new SecretSet();
  secrets.add(options.clientSecret, credential.accessToken, credential.refreshToken);
  if (!credential.refreshToken) {
    throw new AuthFlowError(
      provider.name,
      'not-connected',
      `the ${provider.name} token cannot be refreshed: it came without a refresh token. Run \`factory connect ${provider.name}\``,
    );
  }
  const plumbing = oauthPlumbing(provider, { ...options, clientId: parsed.clientId }, options.signal);
  try {
    const response = await oauth.refreshTokenGrantRequest(
      plumbing.server,
      plumbing.client,
      plumbing.clientAuth,
      credential.refreshToken,
      plumbing.requestOptions,
    );
    const tokens = await oauth.processRefreshTokenResponse(
      plumbing.server,
      plumbing.client,
      response,
      plumbing.responseOptions,
    );
    secrets.add(tokens.access_token, tokens.refresh_token);
    const fresh = credentialFrom(tokens, credential.scopes, (options.now ?? Date.now)());
    (options.logger ?? silentLogger).info('oauth token refreshed', { provider: provider.name });
    return {
      ...fresh,
      ...(fresh.refreshToken ? {} : { refreshToken: credential.refreshToken }),
    };
  } catch (error) {
    const failure = tokenRequestFailure(provider, error, secrets);
    throw new AuthFlowError(
      provider.name,
      failure.failure,
      `${failure.message}. If it keeps failing, run \`factory connect ${provider.name}\``,
    );
  }
}

/** A `Refresher` bound to one provider's client, for `freshCredential`. */
export function oauthRefresher(options: RefreshOptions): Refresher {
  return (credential) => refreshCredential(credential, options);
}

export interface FreshCredentialOptions {
  /** Refresh when the token expires within this window. Default five minutes. */
  refreshWithinMs?: number;
  now?: () => number;
}

const DEFAULT_REFRESH_WITHIN_MS = 5 * 60_000;

/**
 * Refreshes in flight, per store and key. Rotating vendors revoke a refresh token on first use, so two
 * concurrent refreshes of one credential would leave one caller with a dead token; they share one.
 */
const inFlight = new WeakMap<CredentialStore, Map<string, Promise<Credential | undefined>>>();

/**
 * The tenant's credential for `provider`, refreshed and saved first when it expires within
 * `refreshWithinMs`. Undefined when there is none. A token that has expired and cannot be refreshed
 * is an error (the caller would only get 401s); one that is merely close to expiry is returned as is.
 */
export async function freshCredential(
  store: CredentialStore,
  tenant: string,
  provider: string,
  refresher: Refresher,
  options: FreshCredentialOptions = {},
): Promise<Credential | undefined> {
  const now = options.now ?? Date.now;
  const within = options.refreshWithinMs ?? DEFAULT_REFRESH_WITHIN_MS;
  if (!Number.isFinite(within) || within < 0) {
    throw new Error(
      `invalid freshCredential options: refreshWithinMs must be a non-negative number of milliseconds`,
    );
  }
  const credential = await store.get(tenant, provider);
  if (!credential || credential.expiresAt === undefined) return credential;
  if (credential.expiresAt - now() > within) return credential;
  if (!credential.refreshToken) {
    if (credential.expiresAt > now()) return credential;
    throw new AuthFlowError(
      provider,
      'expired',
      `the ${provider} token for tenant ${tenant} has expired and has no refresh token; run \`factory connect ${provider}\``,
    );
  }

  let byKey = inFlight.get(store);
  if (!byKey) {
    byKey = new Map();
    inFlight.set(store, byKey);
  }
  const key = JSON.stringify([tenant, provider]);
  const running = byKey.get(key);
  if (running) return running;
  const refreshing = (async () => {
    const fresh = await refresher(credential);
    await store.put(tenant, provider, fresh);
    return fresh;
  })();
  byKey.set(key, refreshing);
  try {
    return await refreshing;
  } finally {
    byKey.delete(key);
  }
}
