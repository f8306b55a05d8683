import { type ApiVendor, apiVendor } from '../registry/api-vendor.ts';
import { type OAuthClientConfig, type ProviderContext, transportOf } from '../registry/provider-entry.ts';
import type { GithubAppConfig } from './app-config.ts';
import { githubAppOf } from './app-part.ts';
import { GITHUB_OAUTH } from './oauth.ts';

/** GitHub's token and webhook secret, shared by its roles (pull requests, issues). */
export const GITHUB: ApiVendor = apiVendor({
  vendor: 'GitHub',
  token: { field: 'token', env: 'GITHUB_TOKEN' },
  webhookSecret: { env: 'GITHUB_WEBHOOK_SECRET' },
  oauth: GITHUB_OAUTH,
});

/** The credentials a GitHub role's config gives: a token (else the stored one), or `app:`. */
export interface GithubCredentialsConfig {
  token: string | undefined;
  oauth: OAuthClientConfig | undefined;
  app: GithubAppConfig | undefined;
}

/**
 * What a GitHub port acts with, and its fetch and retry: the App installation `app:` names, else the
 * token written or the one `factory connect` stored.
 */
export function githubAccessOf(
  context: ProviderContext,
  target: { provider: string; baseUrl?: string },
  { token, oauth, app }: GithubCredentialsConfig,
) {
  if (!app) return GITHUB.access(context, target.provider, token, oauth);
  const transport = transportOf(context);
  // The App's auth is an add-on (`githubApp`): a build carries it only when a tenant acts as an App.
  return { app: githubAppOf(context).auth(app, context, { ...target, ...transport }), ...transport };
}
