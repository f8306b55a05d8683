import {
  type ConnectionStatus,
  errorMessage,
  type Fetch,
  type RetryOptions,
  retryingFetch,
} from '@software-factory/sdk';
import { NotAuthorisedError, ProviderApiError, scrubSecrets } from '../shared/provider-errors.ts';
import { githubAppJwt } from './app-jwt.ts';
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

interface InstallationToken {
  token: string;
  expiresAt: number;
}

const DEFAULT_RENEW_BEFORE_MS = 5 * 60_000;

/**
 * GitHub App authentication shared by every GitHub provider (pull requests, issues, the Actions fleet):
 * the App's JWT (RS256, signed through WebCrypto by `githubAppJwt`, the same on Node and Workers) and
 * installation tokens exchanged at `POST /app/installations/{id}/access_tokens`, each cached
 * until `renewBeforeMs` before its `expires_at`, one exchange at a time per installation; the
 * installation of a repository looked up once (`GET /repos/{owner}/{repo}/installation`) when the config
 * names none.
 */
export class GithubAppAuth {
  readonly provider: string;
  readonly #options: GithubAppAuthOptions;
  readonly #baseUrl: string;
  readonly #fetch: Fetch;
  readonly #now: () => number;
  readonly #renewBeforeMs: number;
  readonly #tokens = new Map<number, InstallationToken>();
  readonly #exchanges = new Map<number, Promise<InstallationToken>>();
  readonly #installations = new Map<string, Promise<number>>();
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
    const cached = this.#tokens.get(installationId);
    if (!options.refresh && cached && cached.expiresAt - this.#renewBeforeMs > this.#now())
      return cached.token;
    let exchange = this.#exchanges.get(installationId);
    if (!exchange) {
      exchange = this.#exchange(installationId).finally(() => this.#exchanges.delete(installationId));
      this.#exchanges.set(installationId, exchange);
    }
    return (await exchange).token;
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

  async #exchange(installationId: number): Promise<InstallationToken> {
    const what = `exchanging a token for installation ${installationId}`;
    const body = await this.#asApp('POST', `/app/installations/${installationId}/access_tokens`, what);
    const { token, expires_at } = (body ?? {}) as { token?: unknown; expires_at?: unknown };
    const expiresAt = typeof expires_at === 'string' ? Date.parse(expires_at) : Number.NaN;
    if (typeof token !== 'string' || !token || !Number.isFinite(expiresAt))
      throw new ProviderApiError(this.provider, `GitHub App: ${what} gave no token and expiry`);
    this.#secrets.add(token);
    const issued = { token, expiresAt };
    this.#tokens.set(installationId, issued);
    return issued;
  }

  async #lookUpInstallation(repository: RepositoryRef | undefined): Promise<number> {
    if (repository) {
      const path = `/repos/${encodeURIComponent(repository.owner)}/${encodeURIComponent(repository.repo)}/installation`;
      const found = (await this.#asApp(
        'GET',
        path,
        `looking up the App's installation on ${repository.owner}/${repository.repo}`,
      )) as { id?: unknown } | undefined;
      if (typeof found?.id !== 'number')
        throw new ProviderApiError(this.provider, 'GitHub App: the installation look-up gave no id');
      return found.id;
    }
    const listed = await this.#asApp(
      'GET',
      '/app/installations?per_page=2',
      'listing the App’s installations',
    );
    const [only, another] = Array.isArray(listed) ? (listed as { id?: unknown }[]) : [];
    if (!only || typeof only.id !== 'number')
      throw new NotAuthorisedError(this.provider, 'the GitHub App is not installed anywhere; install it');
    if (another)
      throw new ProviderApiError(
        this.provider,
        'the GitHub App has several installations: name the one to use as app.installationId',
      );
    return only.id;
  }

  /** One call with the App's JWT; 401/403/404 mean the key, the App or the installation is gone. */
  async #asApp(method: string, path: string, what: string): Promise<unknown> {
    const jwt = await this.#jwt();
    let response: Response;
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${jwt}`,
          'user-agent': '@software-factory/providers',
          'x-github-api-version': '2022-11-28',
        },
      });
    } catch (error) {
      throw new ProviderApiError(
        this.provider,
        `GitHub App: ${what} failed: ${this.#scrub(errorMessage(error))}`,
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.ok) return body;
    const message = (body as { message?: unknown } | undefined)?.message;
    const said = this.#scrub(typeof message === 'string' ? message : response.statusText);
    const status = response.status;
    if (status === 401 || status === 403 || status === 404)
      throw new NotAuthorisedError(
        this.provider,
        `GitHub refused ${what} (${status}: ${said}); the App may be uninstalled, suspended or its key revoked`,
        {
          status,
          fix: `install the App on the repository again (its settings on GitHub), or run \`factory connect ${this.provider} --app\` for a new App`,
        },
      );
    throw new ProviderApiError(this.provider, `GitHub App: ${what} failed: ${said}`, { status });
  }

  /** A fresh JWT for the App (valid ten minutes, issued 30 s in the past for clock skew). */
  async #jwt(): Promise<string> {
    const source = this.#options.credentials;
    const credentials = typeof source === 'function' ? await source() : source;
    if (!credentials)
      throw new NotAuthorisedError(this.provider, 'no GitHub App is configured or stored', {
        fix: `run \`factory connect ${this.provider} --app\`, which creates and stores one`,
      });
    this.#secrets.add(credentials.privateKey);
    try {
      // GitHub checks `iat` and `exp` against its own clock: the real one, never a test's.
      return await githubAppJwt(credentials.appId, credentials.privateKey, Date.now());
    } catch {
      // The signer's message may quote the key; say only what is wrong.
      throw new NotAuthorisedError(
        this.provider,
        'the GitHub App’s private key cannot sign (is it the whole .pem file GitHub gave?)',
      );
    }
  }

  #scrub(text: string): string {
    return scrubSecrets(text.split('\n')[0]?.slice(0, 300) ?? '', [...this.#secrets]);
  }
}
