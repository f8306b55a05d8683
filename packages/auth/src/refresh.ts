import type { Credential, CredentialStore, Logger, VersionedCredentialStore } from '@software-factory/sdk';
import { isVersionedCredentialStore, silentLogger } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { AuthFlowError } from './auth-error.ts';
import { tokenRequestFailure } from './flow-failures.ts';
import { credentialFrom, type OAuthClientOptions, oauthPlumbing } from './oauth-client.ts';
import { refreshTokens } from './oauth-grants.ts';
import type { OAuthProvider } from './oauth-providers.ts';
import { parseOptions } from './parse-options.ts';
import { SecretSet } from './redact.ts';
import { realSleep, type Sleep } from './sleep.ts';

/** Turns a credential that is about to expire into a fresh one. */
export type Refresher = (credential: Credential) => Promise<Credential>;

export interface RefreshOptions extends OAuthClientOptions {
  provider: OAuthProvider;
  signal?: AbortSignal;
  logger?: Logger;
  now?: () => number;
}

const optionsSchema = z.object({
  clientId: z.string().check(z.minLength(1, 'clientId is required')),
  clientSecret: z.optional(z.string().check(z.minLength(1))),
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
    const tokens = await refreshTokens(plumbing, credential.refreshToken);
    secrets.add(tokens.access_token, tokens.refresh_token);
    const fresh = credentialFrom(tokens, credential.scopes, (options.now ?? Date.now)());
    (options.logger ?? silentLogger).info('oauth token refreshed', { provider: provider.name });
    return {
      ...fresh,
      ...(fresh.refreshToken ? {} : { refreshToken: credential.refreshToken }),
      // The site chosen after consent (a Jira cloud id) is the grant's, not the token's: it stays.
      ...(credential.resource ? { resource: credential.resource } : {}),
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
  /**
   * For a store that can compare-and-set: after a refresh fails, how long to keep looking for the
   * credential another instance refreshed at the same time (its vendor answer can come before its write
   * lands). Default two seconds.
   */
  settleMs?: number;
  sleep?: Sleep;
}

const DEFAULT_REFRESH_WITHIN_MS = 5 * 60_000;
const DEFAULT_SETTLE_MS = 2_000;
const SETTLE_POLL_MS = 250;

/**
 * Refreshes in flight, per store and key. Rotating vendors revoke a refresh token on first use, so two
 * concurrent refreshes of one credential would leave one caller with a dead token; they share one.
 * Across processes (or store objects) the compare-and-set of a `VersionedCredentialStore` does that job.
 */
const inFlight = new WeakMap<CredentialStore, Map<string, Promise<Credential | undefined>>>();

/**
 * The tenant's credential for `provider`, refreshed and saved first when it expires within
 * `refreshWithinMs`. Undefined when there is none. A token that has expired and cannot be refreshed
 * is an error (the caller would only get 401s); one that is merely close to expiry is returned as is.
 *
 * With a `VersionedCredentialStore`, the refreshed credential replaces the one that was read only if no
 * other instance changed it meanwhile; the loser of that race returns the winner's credential, and so
 * does a caller whose refresh the vendor refused because the winner had already spent the refresh token.
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
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  if (!Number.isFinite(settleMs) || settleMs < 0) {
    throw new Error(
      `invalid freshCredential options: settleMs must be a non-negative number of milliseconds`,
    );
  }
  const versioned = isVersionedCredentialStore(store) ? store : undefined;
  const read = versioned
    ? await versioned.read(tenant, provider)
    : await store.get(tenant, provider).then((found) => found && { credential: found, version: 0 });
  const credential = read?.credential;
  if (!read || !credential || credential.expiresAt === undefined) return credential;
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
  const refreshing = versioned
    ? refreshAndReplace(versioned, {
        tenant,
        provider,
        refresher,
        read,
        now,
        settleMs,
        sleep: options.sleep ?? realSleep,
      })
    : (async () => {
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

interface VersionedRefresh {
  tenant: string;
  provider: string;
  refresher: Refresher;
  read: { credential: Credential; version: number };
  now: () => number;
  settleMs: number;
  sleep: Sleep;
}

async function refreshAndReplace(
  store: VersionedCredentialStore,
  refresh: VersionedRefresh,
): Promise<Credential | undefined> {
  const { tenant, provider, read } = refresh;
  let fresh: Credential;
  try {
    fresh = await refresh.refresher(read.credential);
  } catch (error) {
    const elsewhere = await refreshedElsewhere(store, refresh);
    if (elsewhere) return elsewhere;
    throw error;
  }
  if (await store.replace(tenant, provider, fresh, read.version)) return fresh;
  // Another instance stored first: with a rotating vendor its refresh token is the one still valid.
  return (await store.read(tenant, provider))?.credential;
}

/**
 * After a failed refresh: the credential another instance stored since `read`, if it has not expired.
 * Looks again for `settleMs`, since the other instance's vendor answer may come before its write.
 */
async function refreshedElsewhere(
  store: VersionedCredentialStore,
  refresh: VersionedRefresh,
): Promise<Credential | undefined> {
  let waited = 0;
  for (;;) {
    const current = await store.read(refresh.tenant, refresh.provider);
    if (!current) return undefined;
    if (current.version !== refresh.read.version) {
      const { expiresAt } = current.credential;
      return expiresAt === undefined || expiresAt > refresh.now() ? current.credential : undefined;
    }
    if (waited >= refresh.settleMs) return undefined;
    const step = Math.min(SETTLE_POLL_MS, refresh.settleMs - waited);
    await refresh.sleep(step);
    waited += step;
  }
}
