import type { ConnectionStatus } from './connection.ts';

/** How a remote sign-in continues after it was started on the deployed app. */
export type ConnectStart =
  | {
      flow: 'authorization-code';
      provider: string;
      /** Where the person's browser goes; the vendor redirects back to the app's callback. */
      authorizationUrl: string;
      scopes: string[];
      /** Epoch milliseconds after which the callback refuses this sign-in. */
      expiresAt: number;
    }
  | {
      flow: 'device';
      provider: string;
      /** Where the person enters `userCode`. */
      verificationUri: string;
      userCode: string;
      scopes: string[];
      expiresAt: number;
      /** How often asking for progress is worth it; the app asks the vendor at most this often. */
      intervalSeconds: number;
    };

/** Where a remote sign-in stands, as `GET …/connect/:provider` reports it. */
export type ConnectProgress =
  | { state: 'none' }
  | { state: 'pending'; flow: ConnectStart['flow']; expiresAt: number }
  | { state: 'connected'; status: ConnectionStatus }
  | { state: 'failed'; reason: string }
  | { state: 'expired' };

/** Why a callback or a start was refused; `status` is the HTTP answer, `message` is safe to show. */
export class ConnectRefusedError extends Error {
  readonly status: 400 | 404 | 409 | 410 | 502;

  constructor(status: 400 | 404 | 409 | 410 | 502, message: string) {
    super(message);
    this.name = 'ConnectRefusedError';
    this.status = status;
  }
}

/**
 * A tenant's sign-ins, run by the deployed app: it keeps the PKCE verifier and `state` (single use, ten
 * minutes), exchanges the code the vendor's redirect brings and stores the token, encrypted, where the
 * tenant's providers read it. Tokens never pass through the person's machine.
 */
export interface RemoteConnector {
  /** The tenant's providers that can be signed in to this way, by provider name. */
  providers(): string[];
  /**
   * Starts a sign-in for `provider`, replacing one still pending. `redirectUri` is the app's callback
   * (`<publicUrl>/t/<tenant>/connect/<provider>/callback`); `scopes` default to what fixes the current
   * status (held plus missing). Throws ConnectRefusedError (404: not a provider of this tenant).
   */
  begin(
    provider: string,
    options: { redirectUri: string; scopes?: readonly string[] },
  ): Promise<ConnectStart>;
  /**
   * The vendor's redirect to the callback (`url` with `code` and `state`, or `error`): refuses a `state`
   * that is unknown, issued for another tenant or provider, already used, or expired (ConnectRefusedError),
   * else exchanges the code, stores the credential and returns the provider's connection.
   */
  callback(provider: string, url: URL): Promise<ConnectionStatus>;
  /** Where the latest sign-in of `provider` stands; for a device flow this asks the vendor (at its interval). */
  progress(provider: string): Promise<ConnectProgress>;
}
