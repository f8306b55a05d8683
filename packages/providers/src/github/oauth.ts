import type { ProviderOAuth } from '../registry/provider-entry.ts';

/**
 * GitHub: the device grant for terminals (no redirect URI to register, no client secret), refresh for
 * expiring user tokens; scopes space-separated.
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow
 */
export const GITHUB_OAUTH: ProviderOAuth = {
  vendor: 'GitHub',
  flow: 'device',
  envPrefix: 'GITHUB',
  authorizationEndpoint: 'https://github.com/login/oauth/authorize',
  tokenEndpoint: 'https://github.com/login/oauth/access_token',
  deviceAuthorizationEndpoint: 'https://github.com/login/device/code',
  scopeSeparator: ' ',
  clientAuthentication: 'post',
  extraTokenTypes: [],
  clientSecretRequired: false,
};
