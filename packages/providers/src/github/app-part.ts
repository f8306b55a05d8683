import type { Fetch, RetryOptions } from '@software-factory/sdk';
import type { AddOnNeed } from '../registry/provider-add-on.ts';
import type { ProviderConfig, ProviderContext } from '../registry/provider-entry.ts';
import type { GithubAppAuth } from './app-auth.ts';
import type { GithubAppConfig } from './app-config.ts';

/** The add-on of GitHub App authentication (see `githubApp`), by which GitHub's entries ask for it. */
export const GITHUB_APP = 'github-app';

/** What the add-on gives GitHub's entries: the App auth of an `app:` block. */
export interface GithubAppPart {
  auth(
    app: GithubAppConfig,
    context: Pick<ProviderContext, 'storedToken'>,
    options: { provider: string; baseUrl?: string; fetch?: Fetch; retry?: RetryOptions },
  ): GithubAppAuth;
}

/** What a GitHub config needs: the add-on when it acts as an App (`app:`). */
export function githubAddOns(config: ProviderConfig & { app?: unknown }): AddOnNeed[] {
  return config.app !== undefined ? [{ addOn: GITHUB_APP, path: ['app'], asked: 'a GitHub App (app:)' }] : [];
}

/** The add-on the registry carries; a config parsed against this registry has it when it needs it. */
export function githubAppOf(context: ProviderContext): GithubAppPart {
  const part = context.addOn?.(GITHUB_APP) as GithubAppPart | undefined;
  if (!part)
    throw new Error('GitHub App authentication is not in this build: register githubApp with the providers');
  return part;
}
