import { redact } from './redact.ts';

/** Why an auth flow stopped; callers branch on this, people read the message. */
export type AuthFailure =
  | 'access-denied'
  | 'state-mismatch'
  | 'expired'
  | 'timeout'
  | 'aborted'
  | 'invalid-redirect'
  | 'token-request-failed'
  | 'listener-failed'
  | 'unreachable'
  | 'not-connected';

/**
 * A failed connection attempt. The message says what happened and what to do next; it never holds a
 * token, code, verifier or secret (it is redacted on construction), and there is no `cause`, because
 * the libraries' causes carry raw response bodies.
 */
export class AuthFlowError extends Error {
  readonly failure: AuthFailure;
  readonly provider: string;

  constructor(provider: string, failure: AuthFailure, message: string, secrets: Iterable<string> = []) {
    super(redact(message, secrets));
    this.name = 'AuthFlowError';
    this.provider = provider;
    this.failure = failure;
  }
}
