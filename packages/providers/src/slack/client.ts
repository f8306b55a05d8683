import { type Credential, type Fetch, type RetryOptions, retryingFetch } from '@software-factory/sdk';
import { readCredential, type TokenSource } from '../shared/provider-credentials.ts';
import { NotAuthorisedError, ProviderApiError, scrubSecrets } from '../shared/provider-errors.ts';
import { withoutReplays } from '../shared/write-once.ts';

export const SLACK_API_URL = 'https://slack.com/api';

/** Slack's `error` codes that mean the token itself is the problem. */
const AUTH_ERRORS = new Set([
  'not_authed',
  'invalid_auth',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'no_permission',
]);

export interface SlackClientOptions {
  token?: TokenSource;
  /** Base of the Web API, `<apiUrl>/<method>`; tests point it at a loopback server. */
  apiUrl?: string;
  fetch?: Fetch;
  retry?: RetryOptions;
}

export type SlackArgs = Record<string, string | number | boolean | undefined>;

export interface SlackResult<T> {
  body: T & { ok: true };
  headers: Headers;
}

/**
 * The handful of Web API methods the factory calls, as form posts over `fetch`. `@slack/web-api`
 * requires Node built-ins (fs, os, zlib, stream) and sleeps on its own timers, so it neither runs
 * on Workers nor lets tests inject the wait.
 */
export class SlackClient {
  readonly #token: TokenSource | undefined;
  readonly #apiUrl: string;
  readonly #fetch: Fetch;
  readonly #writeFetch: Fetch;

  constructor(options: SlackClientOptions = {}) {
    this.#token = options.token;
    this.#apiUrl = (options.apiUrl ?? SLACK_API_URL).replace(/\/+$/, '');
    const base = options.fetch ?? ((input, init) => fetch(input, init));
    this.#fetch = retryingFetch(base, options.retry);
    this.#writeFetch = retryingFetch(base, withoutReplays(options.retry));
  }

  credential(): Promise<Credential | undefined> {
    return readCredential(this.#token);
  }

  /**
   * `options.signal` ends the call (and its retries) when aborted: an effect's deadline.
   * `options.notIdempotent` marks a post Slack would make twice (`chat.postMessage` takes no idempotency
   * key): only a 429, refused before any work, is retried; after a 5xx or a lost answer it may have
   * landed, and the caller looks for it before it posts again.
   */
  async call<T extends object>(
    method: string,
    args: SlackArgs = {},
    options: { signal?: AbortSignal | undefined; notIdempotent?: boolean } = {},
  ): Promise<SlackResult<T>> {
    const credential = await this.credential();
    if (!credential) throw new NotAuthorisedError('slack', 'no Slack token is configured');
    const token = credential.accessToken;
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(args)) if (value !== undefined) form.set(name, String(value));
    let response: Response;
    try {
      // The token goes in the header, never in the form or the URL, so no access log can hold it.
      response = await (options.notIdempotent ? this.#writeFetch : this.#fetch)(`${this.#apiUrl}/${method}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        },
        body: form.toString(),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      throw new ProviderApiError('slack', `Slack ${method} failed: ${scrubSecrets(String(error), [token])}`);
    }
    const body = (await response.json().catch(() => undefined)) as
      | ({ ok?: boolean; error?: string } & T)
      | undefined;
    if (response.status === 401 || (body?.error && AUTH_ERRORS.has(body.error))) {
      throw new NotAuthorisedError(
        'slack',
        `Slack rejected the token (${body?.error ?? `HTTP ${response.status}`})`,
        {
          status: response.status,
          ...(body?.error ? { code: body.error } : {}),
        },
      );
    }
    if (!response.ok || !body?.ok) {
      const reason = scrubSecrets(body?.error ?? `HTTP ${response.status}`, [token]);
      throw new ProviderApiError('slack', `Slack ${method} failed: ${reason}`, {
        status: response.status,
        ...(body?.error ? { code: body.error } : {}),
      });
    }
    return { body: body as T & { ok: true }, headers: response.headers };
  }
}
