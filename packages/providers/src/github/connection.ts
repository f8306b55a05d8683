import type { ConnectionStatus } from '@software-factory/sdk';
import { errorMessage } from '@software-factory/sdk';
import { scopeStatus } from '../shared/provider-config.ts';
import { NotAuthorisedError, ProviderApiError } from '../shared/provider-errors.ts';
import type { GithubClient } from './client.ts';

/**
 * Who a GitHub token is and what it may do: `GET /user` with the scopes a classic token lists in
 * `x-oauth-scopes`; fine-grained and app user tokens list none (reported connected); an app installation
 * token cannot read `/user` and is checked through the repositories it was granted.
 */
export async function checkGithubToken(
  github: GithubClient,
  required: readonly string[],
): Promise<ConnectionStatus> {
  // An App acts as its installation, which has no user: its token exchange and one read say it all.
  if (github.app) return checkInstallation(github);
  try {
    const response = await github.request('GET /user');
    const header = response.headers['x-oauth-scopes'];
    const granted =
      typeof header === 'string'
        ? header
            .split(',')
            .map((scope) => scope.trim())
            .filter(Boolean)
        : undefined;
    return scopeStatus(response.data.login, required, granted);
  } catch (error) {
    if (error instanceof NotAuthorisedError) return { state: 'needs-auth', reason: error.message };
    if (error instanceof ProviderApiError && error.status === 403) return checkInstallation(github);
    return { state: 'error', message: errorMessage(error) };
  }
}

async function checkInstallation(github: GithubClient): Promise<ConnectionStatus> {
  try {
    const { data } = await github.request('GET /installation/repositories', { per_page: 1 });
    return { state: 'connected', identity: `GitHub App installation (${data.total_count} repositories)` };
  } catch (error) {
    if (error instanceof NotAuthorisedError) return { state: 'needs-auth', reason: error.message };
    return {
      state: 'error',
      message: `GitHub refused GET /user and GET /installation/repositories: ${errorMessage(error)}`,
    };
  }
}
