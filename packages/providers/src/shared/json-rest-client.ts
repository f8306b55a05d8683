import {
  type Credential,
  errorMessage,
  type Fetch,
  type RetryOptions,
  retryingFetch,
} from '@software-factory/sdk';
import { readCredential, type TokenSource } from './provider-credentials.ts';
import { NotAuthorisedError, ProviderApiError, scrubSecrets } from './provider-errors.ts';
import { withoutReplays } from './write-once.ts';

export interface JsonRestClientOptions {
  /** The provider's config name, for errors ("run `factory connect <provider>`"). */
  provider: string;
  /** The vendor's name in messages, e.g. "Jira". */
  vendor: string;
  /** Where the API is; a function when it depends on the credential (the Jira site an OAuth token names). */
  baseUrl: string | ((credential: Credential) => string);
  token?: TokenSource;
  /** How the vendor wants the token: a bearer token by default. */
  authorization?: (credential: Credential) => Record<string, string>;
  /** The vendor's reason in an error body, if it gave one. */
  reasonOf?: (body: unknown) => string | undefined;
  fetch?: Fetch;
  retry?: RetryOptions;
}

export interface RestCall {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /**
   * A write that is not idempotent (creating a comment) must not be replayed by the transport after a
   * 5xx, a lost answer or a timeout, any of which may have landed: only a 429, which did not, is retried.
   * The caller reads back instead.
   */
  notIdempotent?: boolean;
  /** An absolute URL outside `baseUrl` (e.g. Atlassian's accessible-resources endpoint). */
  url?: string;
  /** Ends the call (and its retries) when aborted: an effect's deadline. */
  signal?: AbortSignal | undefined;
}

export interface RestResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * JSON over `fetch` for REST APIs (Jira, GitLab): the token in a header on every call, never in the URL;
 * 429/5xx retried; 401 as NotAuthorisedError; every other failure as ProviderApiError whose message is
 * scrubbed of the token. Runs unchanged on Node, Lambda and Workers.
 */
export class JsonRestClient {
  readonly #options: JsonRestClientOptions;
  readonly #fetch: Fetch;
  readonly #writeFetch: Fetch;

  constructor(options: JsonRestClientOptions) {
    this.#options = options;
    const base = options.fetch ?? ((input, init) => fetch(input, init));
    this.#fetch = retryingFetch(base, options.retry);
    this.#writeFetch = retryingFetch(base, withoutReplays(options.retry));
  }

  get provider(): string {
    return this.#options.provider;
  }

  credential(): Promise<Credential | undefined> {
    return readCredential(this.#options.token);
  }

  async request<T>(method: string, path: string, call: RestCall = {}): Promise<RestResponse<T>> {
    const { provider, vendor } = this.#options;
    const credential = await this.credential();
    if (!credential) throw new NotAuthorisedError(provider, `no ${vendor} token is configured`);
    const secret = credential.accessToken;
    const { baseUrl } = this.#options;
    const base = typeof baseUrl === 'string' ? baseUrl : baseUrl(credential);
    const url = new URL(call.url ?? `${base.replace(/\/+$/, '')}${path}`);
    for (const [name, value] of Object.entries(call.query ?? {}))
      if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(this.#options.authorization?.(credential) ?? { authorization: `Bearer ${secret}` }),
    };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const what = `${method} ${call.url ? url.pathname : path}`;
    let response: Response;
    try {
      response = await (call.notIdempotent ? this.#writeFetch : this.#fetch)(url, {
        method,
        headers,
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      });
    } catch (error) {
      const reason = errorMessage(error);
      throw new ProviderApiError(provider, `${vendor} ${what} failed: ${scrubSecrets(reason, [secret])}`);
    }
    const text = await response.text();
    const body = parseJson(text);
    if (response.ok) return { status: response.status, headers: response.headers, body: body as T };
    const reason = scrubSecrets(this.#options.reasonOf?.(body) ?? `HTTP ${response.status}`, [secret]);
    if (response.status === 401)
      throw new NotAuthorisedError(provider, `${vendor} rejected the token (${reason})`, {
        status: response.status,
      });
    throw new ProviderApiError(provider, `${vendor} ${what} failed: ${reason}`, { status: response.status });
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
