import type { OAuthAppOptions } from '@software-factory/providers';
import {
  endpointOverrides,
  OAuthEndpointError,
  oauthEnvironment,
  type ProviderConfig,
  type ProviderOAuth,
  providerRegistry,
} from '@software-factory/providers/registry';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import type { Environment } from '../config/secret-reference.ts';

/** The OAuth client a provider's config may name (`oauth:`), already resolved by the config loader. */
export interface ConfiguredOAuthClient {
  clientId: string;
  clientSecret?: string | undefined;
  tokenUrl?: string | undefined;
}

/** How a provider signs in (its registry entry's `oauth`), and the app to sign in with. */
export type OAuthApp = { spec: ProviderOAuth; app: OAuthAppOptions };

/**
 * The OAuth app `factory connect` signs in with, for a provider whose registry entry says how (`oauth`): the client from the provider's `oauth:` block, else
 * `<VENDOR>_CLIENT_ID` / `<VENDOR>_CLIENT_SECRET`; the endpoints are the vendor's (for the provider's
 * config, e.g. a self-managed GitLab) unless `<VENDOR>_OAUTH_AUTHORIZATION_URL`, `_TOKEN_URL` or
 * `_DEVICE_URL` say otherwise (a GitHub Enterprise host, or the loopback vendors of the tests); the same
 * rules as the deployed app's sign-in (`remoteProvidersOf`). Undefined for a provider type with no sign-in here.
 */
export function oauthAppFor(
  providerType: string,
  configured: ConfiguredOAuthClient | undefined,
  env: Environment,
  providerConfig?: ProviderConfig,
): OAuthApp | undefined {
  const spec = providerRegistry.get(providerType)?.oauth;
  if (!spec) return undefined;
  let fromEnv: ReturnType<typeof oauthEnvironment>;
  let endpoints: ReturnType<typeof endpointOverrides>;
  try {
    fromEnv = oauthEnvironment(spec, env);
    endpoints = endpointOverrides(spec, configured, env);
  } catch (error) {
    if (error instanceof OAuthEndpointError) throw new CliError(error.message, EXIT_USAGE);
    throw error;
  }
  const clientId = configured?.clientId ?? fromEnv.clientId;
  const clientSecret = configured?.clientSecret ?? fromEnv.clientSecret;
  return {
    spec,
    app: {
      ...(clientId ? { clientId } : {}),
      ...(clientSecret ? { clientSecret } : {}),
      ...endpoints,
      ...(providerConfig ? { providerConfig } : {}),
    },
  };
}

/** What must be set before a sign-in can start, as one line naming the variables. */
export function missingClient(providerType: string, app: OAuthApp): string | undefined {
  const prefix = app.spec.envPrefix;
  // Slack redeems codes only with the app's secret; Linear accepts PKCE alone, GitHub's device grant needs none.
  const needsSecret = app.spec.clientSecretRequired;
  const missing = [
    ...(app.app.clientId ? [] : [`${prefix}_CLIENT_ID`]),
    ...(needsSecret && !app.app.clientSecret ? [`${prefix}_CLIENT_SECRET`] : []),
  ];
  if (missing.length === 0) return undefined;
  return `connecting ${providerType} needs an OAuth app: set ${missing.join(' and ')} (or the provider's oauth: block in the config)`;
}
