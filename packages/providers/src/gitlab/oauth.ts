import type { ProviderConfig, ProviderOAuth } from '../registry/provider-entry.ts';

/** The instance a GitLab config names: gitlab.com, or a self-managed host. */
export const GITLAB_URL = 'https://gitlab.com';

/**
 * GitLab as an OAuth 2 identity provider: authorization code with PKCE, at the instance the config names
 * (`<baseUrl>/oauth/authorize`, `<baseUrl>/oauth/token`); scopes space-separated. PKCE alone redeems a
 * code for an application registered as not confidential; a confidential one adds its secret (in the
 * body). Access tokens last two hours and come with a refresh token.
 * https://docs.gitlab.com/api/oauth2/
 */
export const GITLAB_OAUTH: ProviderOAuth<ProviderConfig & { baseUrl: string }> = {
  vendor: 'GitLab',
  flow: 'authorization-code',
  envPrefix: 'GITLAB',
  authorizationEndpoint: `${GITLAB_URL}/oauth/authorize`,
  tokenEndpoint: `${GITLAB_URL}/oauth/token`,
  scopeSeparator: ' ',
  clientAuthentication: 'post',
  extraTokenTypes: [],
  clientSecretRequired: false,
  endpointsFor: (config) => {
    const base = config.baseUrl.replace(/\/+$/, '');
    return { authorizationEndpoint: `${base}/oauth/authorize`, tokenEndpoint: `${base}/oauth/token` };
  },
};
