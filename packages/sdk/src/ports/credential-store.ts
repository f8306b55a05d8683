/**
 * Where a tenant's tokens live. The core keeps stored tenants' tokens sealed in the StateStore behind this
 * port (`credentials/`); the role ports only read a token; obtaining one (a sign-in) is the auth package's
 * part, which stores what it obtains here.
 */

/** A token as a credential store keeps it. Never logged. */
export interface Credential {
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt?: number;
  scopes: string[];
  tokenType?: string;
  /**
   * The site the token was granted for, when the vendor grants one token for several sites and the
   * provider must name one in its calls (chosen after consent), e.g. a cloud id and the site's URL.
   */
  resource?: { id: string; url?: string };
}

/** Where tokens live: a local encrypted file, a secrets service, a connect session. */
export interface CredentialStore {
  get(tenant: string, provider: string): Promise<Credential | undefined>;
  put(tenant: string, provider: string, credential: Credential): Promise<void>;
  delete(tenant: string, provider: string): Promise<void>;
}

/**
 * A credential store whose records carry a version, so that two instances refreshing one token at once
 * keep one valid token: the loser of the compare-and-set reads the winner's instead of overwriting it.
 */
export interface VersionedCredentialStore extends CredentialStore {
  /** The credential and its version (from 1), or undefined when there is none. */
  read(tenant: string, provider: string): Promise<{ credential: Credential; version: number } | undefined>;
  /** Stores `credential` only if the stored version equals `expectedVersion` (0: none stored). True if stored. */
  replace(
    tenant: string,
    provider: string,
    credential: Credential,
    expectedVersion: number,
  ): Promise<boolean>;
}

/** True when `store` can compare-and-set (see `VersionedCredentialStore`). */
export function isVersionedCredentialStore(store: CredentialStore): store is VersionedCredentialStore {
  const candidate = store as Partial<VersionedCredentialStore>;
  return typeof candidate.read === 'function' && typeof candidate.replace === 'function';
}
