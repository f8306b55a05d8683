import { CliError, EXIT_FAILURE } from '../cli-error.ts';

/**
 * The deployment refused a call, or could not be asked. The message names the host and the HTTP status
 * (never the token); `details` are the problems the server listed (`path: message`), one line each.
 */
export class RemoteError extends CliError {
  readonly status: number | undefined;
  readonly details: readonly string[];
  /** Seconds the server asked to wait (429, 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message: string,
    options: {
      status?: number;
      details?: readonly string[];
      retryAfterSeconds?: number;
      exitCode?: number;
    } = {},
  ) {
    super(message, options.exitCode ?? EXIT_FAILURE);
    this.name = 'RemoteError';
    this.status = options.status;
    this.details = options.details ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Worth asking again after a pause: throttled, or the deployment (or a proxy before it) not ready. */
  get transient(): boolean {
    return this.status === undefined || [429, 502, 503, 504].includes(this.status);
  }
}
