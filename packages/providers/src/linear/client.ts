import {
  type Credential,
  errorMessage,
  type Fetch,
  isTransientStatus,
  type RetryOptions,
  retryingFetch,
} from '@software-factory/sdk';
import { readCredential, type TokenSource } from '../shared/provider-credentials.ts';
import { NotAuthorisedError, ProviderApiError, scrubSecrets } from '../shared/provider-errors.ts';

export const LINEAR_API_URL = 'https://api.linear.app/graphql';

export interface LinearClientOptions {
  token?: TokenSource;
  /** The GraphQL endpoint; tests point it at a loopback server. */
  apiUrl?: string;
  fetch?: Fetch;
  retry?: RetryOptions;
}

interface GraphQLError {
  message?: string;
  extensions?: { type?: string; code?: string; userPresentableMessage?: string };
}

/**
 * The few GraphQL calls the factory makes, over plain `fetch`. `@linear/sdk` is a 3 MB bundle that
 * calls `globalThis.fetch` (no injection) and pulls in Node's `crypto`; a dozen lines of fetch run the
 * same on Node, Lambda and Workers.
 */
export class LinearClient {
  readonly #token: TokenSource | undefined;
  readonly #apiUrl: string;
  readonly #fetch: Fetch;

  constructor(options: LinearClientOptions = {}) {
    this.#token = options.token;
    this.#apiUrl = options.apiUrl ?? LINEAR_API_URL;
    this.#fetch = retryingFetch(options.fetch ?? ((input, init) => fetch(input, init)), {
      ...options.retry,
      isRetryable: async (response) => isTransientStatus(response.status) || (await isRateLimited(response)),
    });
  }

  credential(): Promise<Credential | undefined> {
    return readCredential(this.#token);
  }

  /** Runs one operation; throws NotAuthorisedError for a missing or rejected token, ProviderApiError otherwise. */
  async request<T>(
    operationName: string,
    query: string,
    variables: Record<string, unknown> = {},
    /** `signal` ends the request (and its retries) when aborted: an effect's deadline. */
    call: { signal?: AbortSignal | undefined } = {},
  ): Promise<T> {
    const credential = await this.credential();
    if (!credential) throw new NotAuthorisedError('linear', 'no Linear token is configured');
    const token = credential.accessToken;
    let response: Response;
    try {
      response = await this.#fetch(this.#apiUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          // Personal API keys go bare; OAuth access tokens as a bearer token.
          authorization: token.startsWith('lin_api_') ? token : `Bearer ${token}`,
        },
        body: JSON.stringify({ query, variables, operationName }),
        ...(call.signal ? { signal: call.signal } : {}),
      });
    } catch (error) {
      throw new ProviderApiError(
        'linear',
        `Linear ${operationName} failed: ${scrubSecrets(errorMessage(error), [token])}`,
      );
    }
    const text = await response.text();
    const body = parseJson(text) as { data?: T; errors?: GraphQLError[] } | undefined;
    const errors = body?.errors ?? [];
    const first = errors[0];
    const type = first?.extensions?.type ?? first?.extensions?.code?.toLowerCase();
    const reason = scrubSecrets(
      first?.extensions?.userPresentableMessage ?? first?.message ?? `HTTP ${response.status}`,
      [token],
    );
    if (response.status === 401 || type === 'authentication error' || type === 'authentication_error') {
      throw new NotAuthorisedError('linear', `Linear rejected the token (${reason})`, {
        status: response.status,
        code: 'authentication error',
      });
    }
    if (errors.length > 0 || !response.ok || body?.data === undefined) {
      throw new ProviderApiError('linear', `Linear ${operationName} failed: ${reason}`, {
        status: response.status,
        ...(type ? { code: type } : {}),
      });
    }
    return body.data;
  }
}

/** Linear may answer a rate limit with a GraphQL error (type "ratelimited") instead of a 429. */
async function isRateLimited(response: Response): Promise<boolean> {
  if (response.status !== 400) return false;
  const body = parseJson(await response.clone().text()) as { errors?: GraphQLError[] } | undefined;
  return (body?.errors ?? []).some(
    (error) => error.extensions?.type === 'ratelimited' || error.extensions?.code === 'RATELIMITED',
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
