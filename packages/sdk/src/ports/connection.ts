/** What `checkConnection()` found out about one provider. */
export type ConnectionStatus =
  | { state: 'connected'; identity?: string; grantedScopes?: string[] }
  | { state: 'needs-auth'; reason: string }
  | { state: 'missing-scopes'; missing: string[]; identity?: string; grantedScopes?: string[] }
  | { state: 'error'; message: string };

export type ConnectionState = ConnectionStatus['state'];

/** The role a provider plays for a tenant. */
export type ProviderRole = 'intake' | 'clarification' | 'output' | 'fleet' | 'events';

export interface ConnectionReport {
  provider: string;
  role: ProviderRole;
  status: ConnectionStatus;
}

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

/** What an interactive auth flow may do: show a URL, open a browser, print progress. */
export interface ConnectContext {
  tenant: string;
  credentials: CredentialStore;
  /** Scopes to request; defaults to the provider's `requiredScopes`. */
  scopes?: readonly string[];
  openUrl(url: string): Promise<void>;
  print(message: string): void;
  signal?: AbortSignal;
}

/** Every role port can say whether it is connected and run the flow that connects it. */
export interface Connectable {
  /** The provider's config name, e.g. what `intentProvider` says. */
  readonly provider: string;
  readonly requiredScopes: readonly string[];
  checkConnection(): Promise<ConnectionStatus>;
  connect(context: ConnectContext): Promise<ConnectionStatus>;
}

/** Every write to an outside system carries a key that is the same on every retry of the same intent. */
export interface WriteOptions {
  idempotencyKey: string;
  /** W3C trace id of the work item's run, for the provider's hidden metadata and logs. */
  traceId?: string;
}

/** The scopes in `required` that `granted` lacks. */
export function missingScopes(required: readonly string[], granted: readonly string[]): string[] {
  const have = new Set(granted);
  return required.filter((scope) => !have.has(scope));
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
