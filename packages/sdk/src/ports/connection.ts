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

/**
 * Every role port can say whether it is connected: the core refuses work for a tenant whose providers
 * are not, and reports which. Obtaining a credential (an interactive sign-in) is not the core's concern:
 * the auth package's flows do that, driven by the CLI or a deployment's sign-in routes, and store the
 * token where the port reads it.
 */
export interface Connectable {
  /** The provider's config name, e.g. what `intentProvider` says; credentials are stored under it. */
  readonly provider: string;
  /** The scopes the port needs; a sign-in asks for them, and `checkConnection` reports any missing. */
  readonly requiredScopes: readonly string[];
  checkConnection(): Promise<ConnectionStatus>;
}

/** Every write to an outside system carries a key that is the same on every retry of the same intent. */
export interface WriteOptions {
  idempotencyKey: string;
  /** W3C trace id of the work item's run, for the provider's hidden metadata and logs. */
  traceId?: string;
  /**
   * Aborted at the performer's deadline, shortly before its effect lease ends and another performer may
   * take the effect over: from then on the write starts no request (nor a retry) and stops waiting for
   * one in flight, and rejects. Two performers writing at once could both pass a check-then-write and
   * write twice (two comments); bounded by the lease, they never overlap.
   */
  signal?: AbortSignal;
}

/** The scopes in `required` that `granted` lacks. */
export function missingScopes(required: readonly string[], granted: readonly string[]): string[] {
  const have = new Set(granted);
  return required.filter((scope) => !have.has(scope));
}
