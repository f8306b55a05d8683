import { Octokit } from '@octokit/core';
import { silentLogger } from '@software-factory/sdk';
import { retryingFetch } from '../shared/http-retry.ts';
import { readCredential } from '../shared/provider-credentials.ts';
import { NotAuthorisedError, ProviderApiError, scrubSecrets } from '../shared/provider-errors.ts';
import { GITHUB_API_URL, type GithubClientOptions } from './client.ts';

/**
 * An Octokit that asks the token source on every request and retries through our fetch. `@octokit/core`
 * (requests by route, without `@octokit/rest`'s 100 KiB table of method names) is fetch-based with no
 * Node built-ins, so it runs on Node, Lambda and Workers alike. `GithubClient` imports this module at
 * its first request.
 */
export function createOctokit(options: GithubClientOptions): Octokit {
  const logger = options.logger ?? silentLogger;
  const provider = options.provider ?? 'github';
  const octokit = new Octokit({
    baseUrl: (options.baseUrl ?? GITHUB_API_URL).replace(/\/+$/, ''),
    userAgent: '@software-factory/providers',
    request: {
      fetch: retryingFetch(options.fetch ?? ((input, init) => fetch(input, init)), options.retry),
    },
    // Octokit's own messages (deprecations) go to our logger; they never carry request headers.
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger.warn(message),
      error: (message: string) => logger.error(message),
    },
  });
  octokit.hook.wrap('request', async (request, endpoint) => {
    const credential = await readCredential(options.token);
    if (!credential) throw new NotAuthorisedError(provider, 'no GitHub token is configured');
    endpoint.headers.authorization = `Bearer ${credential.accessToken}`;
    try {
      return await request(endpoint);
    } catch (error) {
      throw translate(error, `${endpoint.method} ${endpoint.url}`, credential.accessToken, provider);
    }
  });
  return octokit;
}

/** Octokit's RequestError as our errors: 401 means the token is no good; messages lose any token. */
function translate(error: unknown, call: string, token: string, provider: string): Error {
  const status = (error as { status?: unknown }).status;
  const raw = error instanceof Error ? error.message : String(error);
  const reason = scrubSecrets(raw, [token]).split(' - https://docs.github.com')[0] ?? raw;
  if (status === 401)
    return new NotAuthorisedError(provider, `GitHub rejected the token (${reason})`, { status });
  const path = scrubSecrets(call, [token]).replace(GITHUB_API_URL, '');
  return new ProviderApiError(provider, `GitHub ${path} failed: ${reason}`, {
    ...(typeof status === 'number' ? { status } : {}),
  });
}
