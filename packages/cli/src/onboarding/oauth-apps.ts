import type { OAuthAppOptions } from '@software-factory/providers';
import { type ProviderOAuth, providerRegistry } from '@software-factory/providers/registry';
import { z } from 'zod';
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

const endpoint = z.url({ protocol: /^https?$/ });

/**
 * The OAuth app `factory connect` signs in with, for a provider whose registry entry says how (`oauth`): the client from the provider's `oauth:` block, else
 * `<VENDOR>_CLIENT_ID` / `<VENDOR>_CLIENT_SECRET`; the endpoints are the vendor's unless
 * `<VENDOR>_OAUTH_AUTHORIZATION_URL`, `_TOKEN_URL` or `_DEVICE_URL` say otherwise (a GitHub Enterprise
 * host, or the loopback vendors of the tests). Undefined for a provider type with no sign-in here.
 */
export function oauthAppFor(
  providerType: string,
  configured: ConfiguredOAuthClient | undefined,
  env: Environment,
): OAuthApp | undefined {
  const spec = providerRegistry.get(providerType)?.oauth;
  if (!spec) return undefined;
  const variable = (suffix: string) => `${spec.envPrefix}_${suffix}`;
  const read = (suffix: string) => {
    const value = env[variable(suffix)];
    return value === undefined || value === '' ? undefined : value;
  };
  const url = (suffix: string) => {
    const value = read(suffix);
    if (value === undefined) return undefined;
    if (!endpoint.safeParse(value).success)
      throw new CliError(`${variable(suffix)} is not an http(s) URL`, EXIT_USAGE);
    return value;
  };
  const clientId = configured?.clientId ?? read('CLIENT_ID');
  const clientSecret = configured?.clientSecret ?? read('CLIENT_SECRET');
  const authorizationEndpoint = url('OAUTH_AUTHORIZATION_URL');
  const tokenEndpoint = url('OAUTH_TOKEN_URL') ?? configured?.tokenUrl;
  const deviceAuthorizationEndpoint = url('OAUTH_DEVICE_URL');
  return {
    spec,
    app: {
      ...(clientId ? { clientId } : {}),
      ...(clientSecret ? { clientSecret } : {}),
      ...(authorizationEndpoint ? { authorizationEndpoint } : {}),
      ...(tokenEndpoint ? { tokenEndpoint } : {}),
      ...(deviceAuthorizationEndpoint ? { deviceAuthorizationEndpoint } : {}),
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
