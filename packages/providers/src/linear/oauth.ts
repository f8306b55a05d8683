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
};
