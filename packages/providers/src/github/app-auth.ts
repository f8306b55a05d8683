import type { ConnectionStatus } from '@software-factory/sdk';
import { type Fetch, type RetryOptions, retryingFetch } from '../shared/http-retry.ts';
import {
  errorMessage,
  NotAuthorisedError,
  ProviderApiError,
  scrubSecrets,
} from '../shared/provider-errors.ts';
import { GITHUB_API_URL } from './client.ts';

/** A GitHub App's identity: its id and the PEM private key it signs its JWTs with. */
export interface GithubAppCredentials {
  appId: string;
  privateKey: string;
}

/** Where the App's credentials come from: the config, or a function reading the credentials store. */
export type GithubAppCredentialSource =
  | GithubAppCredentials
  | (() => Promise<GithubAppCredentials | undefined>);

export interface GithubAppAuthOptions {
  credentials: GithubAppCredentialSource;
  /** The installation to act as; found from the repository of each call when left out. */
  installationId?: number | undefined;
  /** The REST API (GitHub Enterprise's `https://<host>/api/v3`, or a loopback server in tests). */
  baseUrl?: string | undefined;
  fetch?: Fetch | undefined;
  retry?: RetryOptions | undefined;
  /** The provider's config name, for errors ("run `factory connect <provider>`"). */
  provider?: string | undefined;
  /** How long before its `expires_at` a cached installation token is exchanged again; default 5 minutes. */
  renewBeforeMs?: number | undefined;
  /** The clock the cache reads (a fake one in tests). */
  now?: (() => number) | undefined;
}

/** The repository a call is about, which names the installation when none is configured. */
export interface RepositoryRef {
  owner: string;
  repo: string;
}

type AuthApp = typeof import('@octokit/auth-app');
type AppAuth = ReturnType<AuthApp['createAppAuth']>;
type Request = typeof import('@octokit/request')['request'];

const DEFAULT_RENEW_BEFORE_MS = 5 * 60_000;

/**
 * GitHub App authentication shared by every GitHub provider (pull requests, issues, the Actions fleet):
 * the App's JWT and installation tokens from `@octokit/auth-app`, each installation's token cached until
 * `renewBeforeMs` before its `expires_at`, the installation of a repository looked up once
 * (`GET /repos/{owner}/{repo}/installation`) when the config names none. `@octokit/auth-app` is loaded at
 * the first token, so a tenant on personal tokens never runs it. Works on Node and on Workers (WebCrypto).
 */
export class GithubAppAuth {
  readonly provider: string;
  readonly #options: GithubAppAuthOptions;
  readonly #baseUrl: string;
  readonly #fetch: Fetch;
  readonly #now: () => number;
  readonly #renewBeforeMs: number;
  /** The token cache `@octokit/auth-app` keeps, keyed by installation; entries near expiry read as absent. */
  readonly #cache = new Map<string, string>();
  readonly #installations = new Map<string, Promise<number>>();
  #auth: { key: string; auth: Promise<{ auth: AppAuth; request: Request }> } | undefined;
  /** Everything secret this instance handled, scrubbed from every message it throws. */
  readonly #secrets = new Set<string>();

  constructor(options: GithubAppAuthOptions) {
    this.#options = options;
    this.provider = options.provider ?? 'github';
    this.#baseUrl = (options.baseUrl ?? GITHUB_API_URL).replace(/\/+$/, '');
    this.#fetch = retryingFetch(options.fetch ?? ((input, init) => fetch(input, init)), options.retry);
    this.#now = options.now ?? Date.now;
    this.#renewBeforeMs = options.renewBeforeMs ?? DEFAULT_RENEW_BEFORE_MS;
  }

  /**
   * An installation token for `repository` (or the configured installation); `refresh` exchanges a new
   * one, for a call GitHub refused with 401 although the cache still held the token.
   */
  async token(repository?: RepositoryRef, options: { refresh?: boolean } = {}): Promise<string> {
    const installationId = await this.installationFor(repository);
    const { auth } = await this.#client();
    try {
      const { token } = await auth({
        type: 'installation',
        installationId,
        refresh: options.refresh ?? false,
      });
      this.#secrets.add(token);
      return token;
    } catch (error) {
      throw this.#failure(`exchanging a token for installation ${installationId}`, error);
    }
  }

  /** The installation the App acts as for `repository`: configured, looked up once, or the App's only one. */
  installationFor(repository?: RepositoryRef): Promise<number> {
    if (this.#options.installationId !== undefined) return Promise.resolve(this.#options.installationId);
    const key = repository ? `${repository.owner}/${repository.repo}`.toLowerCase() : '';
    let found = this.#installations.get(key);
    if (!found) {
      found = this.#lookUpInstallation(repository);
      // A failed look-up (not installed yet, GitHub down) is asked again next time.
      found.catch(() => this.#installations.delete(key));
      this.#installations.set(key, found);
    }
    return found;
  }

  /**
   * Whether the App can act: its JWT accepted and an installation token exchanged. A revoked or
   * suspended installation, an uninstalled App or a wrong key is `needs-auth`; nothing is written.
   */
  async check(repository?: RepositoryRef): Promise<ConnectionStatus> {
    try {
      const installationId = await this.installationFor(repository);
      await this.token(repository);
      return { state: 'connected', identity: `GitHub App installation ${installationId}` };
    } catch (error) {
      if (error instanceof NotAuthorisedError) return { state: 'needs-auth', reason: error.message };
      return { state: 'error', message: errorMessage(error) };
    }
  }

  async #lookUpInstallation(repository: RepositoryRef | undefined): Promise<number> {
    const { auth, request } = await this.#client();
    const what = repository
      ? `looking up the App's installation on ${repository.owner}/${repository.repo}`
      : 'listing the App’s installations';
    try {
      const { token: jwt } = await auth({ type: 'app' });
      const headers = { authorization: `bearer ${jwt}` };
      if (repository) {
        const { data } = await request('GET /repos/{owner}/{repo}/installation', { ...repository, headers });
        return data.id;
      }
      const { data } = await request('GET /app/installations', { per_page: 2, headers });
      const [only, another] = data;
      if (!only)
        throw new NotAuthorisedError(this.provider, 'the GitHub App is not installed anywhere; install it');
      if (another)
        throw new ProviderApiError(
          this.provider,
          'the GitHub App has several installations: name the one to use as app.installationId',
        );
      return only.id;
    } catch (error) {
      throw this.#failure(what, error);
    }
  }

  /** `@octokit/auth-app` over our fetch, created at the first call and again when the stored App changes. */
  async #client(): Promise<{ auth: AppAuth; request: Request }> {
    const source = this.#options.credentials;
    const credentials = typeof source === 'function' ? await source() : source;
    if (!credentials)
      throw new NotAuthorisedError(
        this.provider,
        'no GitHub App is configured or stored (`factory connect github --app` creates and stores one)',
      );
    this.#secrets.add(credentials.privateKey);
    const key = `${credentials.appId}\n${credentials.privateKey}`;
    if (this.#auth?.key !== key) {
      const auth = this.#create(credentials);
      this.#auth = { key, auth };
      auth.catch(() => {
        if (this.#auth?.auth === auth) this.#auth = undefined;
      });
    }
    return this.#auth.auth;
  }

  async #create(credentials: GithubAppCredentials): Promise<{ auth: AppAuth; request: Request }> {
    const [{ createAppAuth }, { request: octokitRequest }] = await Promise.all([
      import('@octokit/auth-app'),
      import('@octokit/request'),
    ]);
    const request = octokitRequest.defaults({
      baseUrl: this.#baseUrl,
      headers: { 'user-agent': '@software-factory/providers' },
      request: { fetch: this.#fetch },
    });
    const auth = createAppAuth({
      appId: credentials.appId,
      privateKey: credentials.privateKey,
      request,
      cache: this.#tokenCache(),
      log: { warn: () => {} },
    });
    return { auth, request };
  }

  /**
   * `@octokit/auth-app` keeps a token 59 minutes whatever GitHub said; this cache honours `expires_at`
   * (the third field of the value it stores), so a token is exchanged again `renewBeforeMs` before it dies.
   */
  #tokenCache(): { get(key: string): string; set(key: string, value: string): void } {
    return {
      // `@octokit/auth-app` reads a miss as a falsy value, though its type says string.
      get: (key) => {
        const value = this.#cache.get(key);
        const expiresAt = Date.parse(value?.split('|')[2] ?? '');
        if (value && Number.isFinite(expiresAt) && expiresAt - this.#renewBeforeMs > this.#now())
          return value;
        this.#cache.delete(key);
        return '';
      },
      set: (key, value) => {
        this.#cache.set(key, value);
      },
    };
  }

  /** 401/403/404 from the App endpoints: the key, the App or the installation is gone; never a secret said. */
  #failure(what: string, error: unknown): Error {
    if (error instanceof ProviderApiError) return error;
    const status = (error as { status?: unknown }).status;
    const said = scrubSecrets(firstLine(errorMessage(error)), [...this.#secrets]);
    if (status === 401 || status === 403 || status === 404)
      return new NotAuthorisedError(
        this.provider,
        `GitHub refused ${what} (${status}: ${said}); the App may be uninstalled, suspended or its key revoked`,
        { status },
      );
    return new ProviderApiError(this.provider, `GitHub App: ${what} failed: ${said}`, {
      ...(typeof status === 'number' ? { status } : {}),
    });
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.slice(0, 300) ?? '';
}
