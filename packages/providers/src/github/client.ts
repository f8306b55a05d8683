import type { Endpoints } from '@octokit/types';
import type { Logger } from '@software-factory/sdk';
import { type Fetch, type RetryOptions, retryingFetch } from '../shared/http-retry.ts';
import { readCredential, type TokenSource } from '../shared/provider-credentials.ts';
import { NotAuthorisedError, ProviderApiError, scrubSecrets } from '../shared/provider-errors.ts';

export const GITHUB_API_URL = 'https://api.github.com';

export interface GithubClientOptions {
  token?: TokenSource;
  /** REST base URL: GitHub Enterprise's `https://<host>/api/v3`, or a loopback server in tests. */
  baseUrl?: string;
  fetch?: Fetch;
  retry?: RetryOptions;
  /** Kept for callers that pass one; the client has nothing to log. */
  logger?: Logger;
  /** The provider's config name, for errors ("run `factory connect <provider>`"); default `github`. */
  provider?: string;
}

/** What a request answers: its status, its headers (lowercase names) and its JSON. */
export interface GithubResponse<T> {
  status: number;
  headers: Record<string, string>;
  data: T;
}

type Route = keyof Endpoints;
type Parameters<R extends Route> = Endpoints[R]['parameters'];
type Data<R extends Route> = Endpoints[R]['response']['data'];

/**
 * GitHub's REST API by route (`GET /repos/{owner}/{repo}/pulls/{pull_number}`), typed by Octokit's route
 * table (`@octokit/types`, types only), over our retrying fetch: the route's `{names}` filled from the
 * parameters (URI-encoded), the rest as the query of a GET or DELETE and the JSON body of a write; the
 * token asked for on every request. It stands in for Octokit, which cost every bundle 18 KiB (6 KiB
 * gzip: its request pipeline, hooks, GraphQL client and a JSON parser for big integers) for the nine
 * routes the factory calls; it runs on Node, Lambda and Workers alike.
 */
export class GithubClient {
  readonly #baseUrl: string;
  readonly #fetch: Fetch;
  readonly #token: TokenSource | undefined;
  readonly #provider: string;

  constructor(options: GithubClientOptions) {
    this.#baseUrl = (options.baseUrl ?? GITHUB_API_URL).replace(/\/+$/, '');
    this.#fetch = retryingFetch(options.fetch ?? ((input, init) => fetch(input, init)), options.retry);
    this.#token = options.token;
    this.#provider = options.provider ?? 'github';
  }

  async request<R extends Route>(route: R, parameters?: Parameters<R>): Promise<GithubResponse<Data<R>>> {
    const [method = 'GET', template = '/'] = route.split(' ');
    const rest: Record<string, unknown> = { ...(parameters as Record<string, unknown> | undefined) };
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = rest[name];
      delete rest[name];
      if (value === undefined) throw new TypeError(`GitHub ${route}: the parameter ${name} is missing`);
      return encodeURIComponent(String(value));
    });
    const url = new URL(`${this.#baseUrl}${path}`);
    const write = method !== 'GET' && method !== 'HEAD' && method !== 'DELETE';
    if (!write)
      for (const [name, value] of Object.entries(rest))
        if (value !== undefined)
          url.searchParams.set(name, Array.isArray(value) ? value.join(',') : String(value));
    const call = `${method} ${url.href}`;

    const credential = await readCredential(this.#token);
    if (!credential) throw new NotAuthorisedError(this.#provider, 'no GitHub token is configured');
    const token = credential.accessToken;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${token}`,
          'user-agent': '@software-factory/providers',
          ...(write ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        },
        ...(write ? { body: JSON.stringify(rest) } : {}),
      });
    } catch (error) {
      throw this.#failure(call, error instanceof Error ? error.message : String(error), token);
    }
    const text = await response.text();
    const data: unknown = text === '' ? undefined : parseJson(text);
    if (!response.ok) {
      const message = (data as { message?: unknown } | undefined)?.message;
      throw this.#failure(
        call,
        typeof message === 'string' ? message : response.statusText,
        token,
        response.status,
      );
    }
    return { status: response.status, headers: Object.fromEntries(response.headers), data: data as Data<R> };
  }

  /** 401 means the token is no good; a message never carries the token. */
  #failure(call: string, reason: string, token: string, status?: number): Error {
    const said = scrubSecrets(reason, [token]);
    if (status === 401)
      return new NotAuthorisedError(this.#provider, `GitHub rejected the token (${said})`, { status });
    const where = scrubSecrets(call, [token]).replace(GITHUB_API_URL, '');
    return new ProviderApiError(this.#provider, `GitHub ${where} failed: ${said}`, {
      ...(status !== undefined ? { status } : {}),
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
