/** An outside API refused or failed a call. The message names the call and the vendor's reason, never a token. */
export class ProviderApiError extends Error {
  readonly provider: string;
  readonly status: number | undefined;
  /** The vendor's error code (Slack's `error`, Linear's `extensions.type`), when it gave one. */
  readonly code: string | undefined;

  constructor(provider: string, message: string, details: { status?: number; code?: string } = {}) {
    super(message);
    this.name = 'ProviderApiError';
    this.provider = provider;
    this.status = details.status;
    this.code = details.code;
  }
}

/**
 * No token, or the vendor rejected it: the tenant must run `factory connect <provider>`, or do what
 * `details.fix` says where that is not the remedy (a GitHub App installation to restore).
 */
export class NotAuthorisedError extends ProviderApiError {
  constructor(
    provider: string,
    reason: string,
    details: { status?: number; code?: string; fix?: string } = {},
  ) {
    const { fix, ...rest } = details;
    super(
      provider,
      `${provider} is not authorised: ${reason}; ${fix ?? `run \`factory connect ${provider}\``}`,
      rest,
    );
    this.name = 'NotAuthorisedError';
  }
}

/** Replaces every occurrence of each secret, so nothing a vendor echoes back can leak one into a log. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let scrubbed = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) scrubbed = scrubbed.split(secret).join('[redacted]');
  }
  return scrubbed;
}
