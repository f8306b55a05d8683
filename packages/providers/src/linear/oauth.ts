import type { ProviderOAuth } from '../registry/provider-entry.ts';

/**
 * Linear: authorization code with PKCE (a client secret is optional). Scopes are comma-separated; `read`
 * is always granted. https://linear.app/developers/oauth-2-0-authentication
 */
export const LINEAR_OAUTH: ProviderOAuth = {
  vendor: 'Linear',
  flow: 'authorization-code',
  envPrefix: 'LINEAR',
  authorizationEndpoint: 'https://linear.app/oauth/authorize',
  tokenEndpoint: 'https://api.linear.app/oauth/token',
  scopeSeparator: ',',
  clientAuthentication: 'post',
  extraTokenTypes: [],
  clientSecretRequired: false,
  // Agent mode installs the factory as an app user of the workspace, which people delegate issues to
  // and mention: https://linear.app/developers/oauth-actor-authorization
  authorizationParametersFor: (config): Record<string, string> =>
    config.mode === 'agent' ? { actor: 'app' } : {},
};
