import type { ProviderOAuth } from '../registry/provider-entry.ts';

/**
 * Slack OAuth v2: bot scopes comma-separated, the bot token at the top level of `oauth.v2.access` with
 * `token_type: "bot"`, the client credentials in HTTP Basic, and a code redeemed only with the client
 * secret. https://docs.slack.dev/reference/methods/oauth.v2.access
 */
export const SLACK_OAUTH: ProviderOAuth = {
  vendor: 'Slack',
  flow: 'authorization-code',
  envPrefix: 'SLACK',
  authorizationEndpoint: 'https://slack.com/oauth/v2/authorize',
  tokenEndpoint: 'https://slack.com/api/oauth.v2.access',
  scopeSeparator: ',',
  clientAuthentication: 'basic',
  extraTokenTypes: ['bot', 'user'],
  clientSecretRequired: true,
};
