import type { ProviderConfig, ProviderOAuth } from '../registry/provider-entry.ts';
import { chooseJiraSite, type JiraGatewayConfig } from './accessible-resources.ts';

/**
 * Atlassian OAuth 2.0 (3LO), authorization code: the consent page needs `audience=api.atlassian.com`
 * and `prompt=consent`; scopes are space-separated; a code and a refresh token are redeemed only with
 * the app's client secret (sent in the body, as Atlassian's examples do; the token endpoint takes the
 * RFC 6749 form body). `offline_access` brings a rotating refresh token (access tokens last an hour).
 * One token may serve several sites: after consent the config's `siteUrl` is chosen among them.
 * https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
 */
export const JIRA_OAUTH: ProviderOAuth<ProviderConfig & JiraGatewayConfig> = {
  vendor: 'Atlassian',
  flow: 'authorization-code',
  envPrefix: 'JIRA',
  authorizationEndpoint: 'https://auth.atlassian.com/authorize',
  tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
  scopeSeparator: ' ',
  clientAuthentication: 'post',
  extraTokenTypes: [],
  clientSecretRequired: true,
  authorizationParameters: { audience: 'api.atlassian.com', prompt: 'consent' },
  additionalScopes: ['offline_access'],
  completeCredential: chooseJiraSite,
};
