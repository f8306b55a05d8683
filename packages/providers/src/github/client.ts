import type { Endpoints } from '@octokit/types';
import {
  errorMessage,
  type Fetch,
  type Logger,
  type RetryOptions,
  retryingFetch,
} from '@software-factory/sdk';
import { readCredential, type TokenSource } from '../shared/provider-credentials.ts';
import { NotAuthorisedError, ProviderApiError, scrubSecrets } from '../shared/provider-errors.ts';
import type { GithubAppAuth, RepositoryRef } from './app-auth.ts';

export const GITHUB_API_URL = 'https://api.github.com';

export interface GithubClientOptions {
  token?: TokenSource;
  /** A GitHub App instead of a token: each call acts as the installation on its repository. */
  app?: GithubAppAuth;
  /** The repository whose installation answers calls that name none (`GET /installation/repositories`). */
  defaultRepository?: RepositoryRef;
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
  readonly #app: GithubAppAuth | undefined;
  readonly #defaultRepository: RepositoryRef | undefined;

  constructor(options: GithubClientOptions) {
    this.#baseUrl = (options.baseUrl ?? GITHUB_API_URL).replace(/\/+$/, '');
    this.#fetch = retryingFetch(options.fetch ?? ((input, init) => fetch(input, init)), options.retry);
    this.#token = options.token;
    this.#provider = options.provider ?? 'github';
    this.#app = options.app;
    this.#defaultRepository = options.defaultRepository;
  }

  /** Whether calls act as a GitHub App installation (else as the token's owner). */
  get app(): GithubAppAuth | undefined {
    return this.#app;
  }

  /** `options.signal` ends the request (and its retries) when aborted: an effect's deadline. */
  async request<R extends Route>(
    route: R,
    parameters?: Parameters<R>,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<GithubResponse<Data<R>>> {
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

    const init = (token: string): RequestInit => ({
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'user-agent': '@software-factory/providers',
        ...(write ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      },
      ...(write ? { body: JSON.stringify(rest) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const repository = repositoryOf(parameters) ?? this.#defaultRepository;
    let token = await this.#tokenFor(repository, false);
    let response: Response;
    try {
      response = await this.#fetch(url, init(token));
      // An installation token can die before the cache thinks so (revoked, clock skew): GitHub refused
      // the call, so nothing was written; one fresh token and one more try.
      if (response.status === 401 && this.#app) {
        await response.body?.cancel();
        token = await this.#tokenFor(repository, true);
        response = await this.#fetch(url, init(token));
      }
    } catch (error) {
      if (error instanceof ProviderApiError) throw error;
      throw this.#failure(call, errorMessage(error), token);
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

  async #tokenFor(repository: RepositoryRef | undefined, refresh: boolean): Promise<string> {
    if (this.#app) return this.#app.token(repository, { refresh });
    const credential = await readCredential(this.#token);
    if (!credential) throw new NotAuthorisedError(this.#provider, 'no GitHub token is configured');
    return credential.accessToken;
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

/** The repository a route's parameters name, whose installation a GitHub App acts as. */
function repositoryOf(parameters: unknown): RepositoryRef | undefined {
  const { owner, repo } = (parameters ?? {}) as { owner?: unknown; repo?: unknown };
  return typeof owner === 'string' && typeof repo === 'string' ? { owner, repo } : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
