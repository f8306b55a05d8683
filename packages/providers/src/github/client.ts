import type { Octokit } from '@octokit/core';
import type { Endpoints } from '@octokit/types';
import type { Logger } from '@software-factory/sdk';
import type { Fetch, RetryOptions } from '../shared/http-retry.ts';
import type { TokenSource } from '../shared/provider-credentials.ts';

export const GITHUB_API_URL = 'https://api.github.com';

export interface GithubClientOptions {
  token?: TokenSource;
  /** REST base URL: GitHub Enterprise's `https://<host>/api/v3`, or a loopback server in tests. */
  baseUrl?: string;
  fetch?: Fetch;
  retry?: RetryOptions;
  logger?: Logger;
  /** The provider's config name, for errors ("run `factory connect <provider>`"); default `github`. */
  provider?: string;
}

/**
 * GitHub's REST API by route (`GET /repos/{owner}/{repo}/pulls/{pull_number}`), typed by Octokit's
 * route table. Octokit is imported at the first request, not when a tenant is built: a deployment whose
 * tenants never call GitHub, or have not yet, does not load it (`createOctokit` says how it is made).
 */
export class GithubClient {
  readonly #options: GithubClientOptions;
  #octokit: Promise<Octokit> | undefined;

  constructor(options: GithubClientOptions) {
    this.#options = options;
  }

  async request<R extends keyof Endpoints>(
    route: R,
    parameters?: Endpoints[R]['parameters'],
  ): Promise<Endpoints[R]['response']> {
    const octokit = await this.octokit();
    // Octokit's own signature types the route's parameters by a conditional type TS cannot narrow here.
    return octokit.request(route, parameters as never) as Promise<Endpoints[R]['response']>;
  }

  /** The Octokit itself, made once (a failed import is tried again at the next call). */
  octokit(): Promise<Octokit> {
    this.#octokit ??= import('./octokit.ts').then(
      ({ createOctokit }) => createOctokit(this.#options),
      (error: unknown) => {
        this.#octokit = undefined;
        throw error;
      },
    );
    return this.#octokit;
  }
}
