// Types only: the providers package never loads auth's code eagerly.
import type { OAuthProvider } from '@software-factory/auth/remote';
import * as z from 'zod/mini';
import type { OAuthClientConfig, OAuthEndpoints, ProviderConfig, ProviderOAuth } from './provider-entry.ts';
import type { Environment } from './secrets.ts';

/** A `<PREFIX>_OAUTH_*` variable that is set but is no http(s) URL. */
export class OAuthEndpointError extends Error {
  readonly variable: string;
  constructor(variable: string) {
    super(`${variable} is not an http(s) URL`);
    this.name = 'OAuthEndpointError';
    this.variable = variable;
  }
}

/** The OAuth app and endpoint overrides the environment gives one vendor. */
export interface OAuthEnvironment {
  clientId?: string;
  clientSecret?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
}

const endpoint = z.url({ protocol: /^https?$/ });

/**
 * What the environment says about a vendor's OAuth: `<PREFIX>_CLIENT_ID`, `_CLIENT_SECRET`, and the
 * endpoints `_OAUTH_AUTHORIZATION_URL`, `_OAUTH_TOKEN_URL`, `_OAUTH_DEVICE_URL` (a GitHub Enterprise host,
 * the loopback vendors of the tests). An empty variable counts as unset; an endpoint that is no http(s)
 * URL throws an `OAuthEndpointError` naming the variable (never its value).
 */
export function oauthEnvironment(spec: Pick<ProviderOAuth, 'envPrefix'>, env: Environment): OAuthEnvironment {
  const variable = (suffix: string) => `${spec.envPrefix}_${suffix}`;
  const read = (suffix: string) => {
    const value = env[variable(suffix)];
    return value === undefined || value === '' ? undefined : value;
  };
  const url = (suffix: string) => {
    const value = read(suffix);
    if (value !== undefined && !endpoint.safeParse(value).success)
      throw new OAuthEndpointError(variable(suffix));
    return value;
  };
  const found: OAuthEnvironment = {
    clientId: read('CLIENT_ID'),
    clientSecret: read('CLIENT_SECRET'),
    authorizationEndpoint: url('OAUTH_AUTHORIZATION_URL'),
    tokenEndpoint: url('OAUTH_TOKEN_URL'),
    deviceAuthorizationEndpoint: url('OAUTH_DEVICE_URL'),
  };
  return Object.fromEntries(Object.entries(found).filter(([, value]) => value !== undefined));
}

/**
 * The endpoint overrides a sign-in applies over the vendor's own: the environment's, and the token URL
 * of the provider's `oauth:` block (a self-hosted vendor) when the environment names none.
 */
export function endpointOverrides(
  spec: Pick<ProviderOAuth, 'envPrefix'>,
  configured: Pick<OAuthClientConfig, 'tokenUrl'> | undefined,
  env: Environment,
): Partial<OAuthEndpoints> {
  const { authorizationEndpoint, tokenEndpoint, deviceAuthorizationEndpoint } = oauthEnvironment(spec, env);
  const token = tokenEndpoint ?? configured?.tokenUrl;
  return {
    ...(authorizationEndpoint ? { authorizationEndpoint } : {}),
    ...(token ? { tokenEndpoint: token } : {}),
    ...(deviceAuthorizationEndpoint ? { deviceAuthorizationEndpoint } : {}),
  };
}

/** The vendor's endpoints for one parsed config: computed from it when the spec says how, else the fixed ones. */
export function vendorEndpoints(spec: ProviderOAuth, config: ProviderConfig | undefined): OAuthEndpoints {
  if (spec.endpointsFor && config) return spec.endpointsFor(config);
  return {
    ...(spec.authorizationEndpoint ? { authorizationEndpoint: spec.authorizationEndpoint } : {}),
    tokenEndpoint: spec.tokenEndpoint,
    ...(spec.deviceAuthorizationEndpoint
      ? { deviceAuthorizationEndpoint: spec.deviceAuthorizationEndpoint }
      : {}),
  };
}

/** The endpoints a sign-in to this provider uses: the vendor's for its config, with the overrides over them. */
export function signInEndpoints(
  spec: ProviderOAuth,
  config: ProviderConfig | undefined,
  overrides: Partial<OAuthEndpoints>,
): OAuthEndpoints {
  return { ...vendorEndpoints(spec, config), ...overrides };
}

/**
 * The spec with its endpoints fixed for one parsed config: what refreshing a stored token needs (it
 * reads only the spec), so a self-managed GitLab's token is refreshed at that instance.
 */
export function specForConfig<C extends ProviderConfig>(spec: ProviderOAuth<C>, config: C): ProviderOAuth<C> {
  if (!spec.endpointsFor) return spec;
  const { authorizationEndpoint, tokenEndpoint, deviceAuthorizationEndpoint } = spec.endpointsFor(config);
  const { authorizationEndpoint: _a, deviceAuthorizationEndpoint: _d, ...rest } = spec;
  return {
    ...rest,
    tokenEndpoint,
    ...(authorizationEndpoint ? { authorizationEndpoint } : {}),
    ...(deviceAuthorizationEndpoint ? { deviceAuthorizationEndpoint } : {}),
  };
}

/** The provider as auth's OAuth flows take it: its endpoints here, the vendor's quirks from its spec. */
export function oauthProviderOf(
  name: string,
  spec: ProviderOAuth,
  endpoints: OAuthEndpoints,
  defaultScopes: readonly string[],
): OAuthProvider {
  return {
    name,
    ...endpoints,
    scopeSeparator: spec.scopeSeparator,
    defaultScopes,
    clientAuthentication: spec.clientAuthentication,
    extraTokenTypes: spec.extraTokenTypes,
  };
}

/** The extras of a sign-in's authorization URL: the spec's fixed ones and those of the parsed config. */
export function authorizationParametersOf(
  spec: ProviderOAuth,
  config: ProviderConfig | undefined,
): Record<string, string> | undefined {
  const merged = {
    ...spec.authorizationParameters,
    ...(config && spec.authorizationParametersFor ? spec.authorizationParametersFor(config) : {}),
  };
  return Object.keys(merged).length > 0 ? merged : undefined;
}
