import type { ConnectionStatus, CredentialStore } from '@software-factory/sdk';

/**
 * What an interactive sign-in may do: show a URL, open a browser, print progress, and store what it
 * obtains. The factory's role ports have no sign-in of their own (they only say whether they are
 * connected); `factory connect` builds one of these and runs the flow the provider's registry entry names.
 */
export interface ConnectContext {
  tenant: string;
  /** Where the obtained credential is stored, under (tenant, provider name). */
  credentials: CredentialStore;
  /** Scopes to request; defaults to the provider's `requiredScopes`. */
  scopes?: readonly string[];
  openUrl(url: string): Promise<void>;
  print(message: string): void;
  signal?: AbortSignal;
}

/** The person's side of a flow: what a flow uses of a `ConnectContext` when it stores nothing itself. */
export type ConnectPrompt = Pick<ConnectContext, 'openUrl' | 'print'> &
  Partial<Pick<ConnectContext, 'signal' | 'scopes'>>;

/** A credential store that runs the vendor's consent itself (relayfile's connect sessions) and keeps the tokens. */
export interface ConnectSessionStore extends CredentialStore {
  connect(tenant: string, provider: string, prompt: ConnectPrompt): Promise<ConnectionStatus>;
}

export function holdsConnectSessions(store: CredentialStore): store is ConnectSessionStore {
  return typeof (store as Partial<ConnectSessionStore>).connect === 'function';
}
