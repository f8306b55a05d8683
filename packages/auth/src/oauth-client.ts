import type { Credential, Logger } from '@software-factory/sdk';
import * as oauth from 'oauth4webapi';
import { namingUnreachableHosts } from './network-failure.ts';
import type { OAuthProvider } from './oauth-providers.ts';
import type { SecretSet } from './redact.ts';
import { type Fetch, standardTokenResponses } from './vendor-token-responses.ts';

/** The client registered with the vendor. A public client (PKCE only, or the device grant) has no secret. */
export interface OAuthClientOptions {
  clientId: string;
  clientSecret?: string;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: Fetch;
}

/** What oauth4webapi needs for one provider: the server description, the client, and how to call it. */
export interface OAuthPlumbing {
  server: oauth.AuthorizationServer;
  client: oauth.Client;
  clientAuth: oauth.ClientAuth;
  requestOptions: {
    [oauth.customFetch]: Fetch;
    [oauth.allowInsecureRequests]?: boolean;
    signal?: AbortSignal;
  };
  responseOptions: { recognizedTokenTypes?: oauth.RecognizedTokenTypes };
}

export function oauthPlumbing(
  provider: OAuthProvider,
  options: OAuthClientOptions,
  signal?: AbortSignal,
): OAuthPlumbing {
  const endpoints = [
    provider.authorizationEndpoint,
    provider.tokenEndpoint,
    provider.deviceAuthorizationEndpoint,
  ];
  const server: oauth.AuthorizationServer = {
    // The vendors publish no issuer metadata; the token endpoint's origin names the server.
    issuer: new URL(provider.tokenEndpoint).origin,
    token_endpoint: provider.tokenEndpoint,
    ...(provider.authorizationEndpoint ? { authorization_endpoint: provider.authorizationEndpoint } : {}),
    ...(provider.deviceAuthorizationEndpoint
      ? { device_authorization_endpoint: provider.deviceAuthorizationEndpoint }
      : {}),
  };
  const clientAuth = !options.clientSecret
    ? oauth.None()
    : provider.clientAuthentication === 'basic'
      ? oauth.ClientSecretBasic(options.clientSecret)
      : oauth.ClientSecretPost(options.clientSecret);
  const recognized: oauth.RecognizedTokenTypes = {};
  for (const type of provider.extraTokenTypes) recognized[type.toLowerCase() as Lowercase<string>] = () => {};
  return {
    server,
    client: { client_id: options.clientId },
    clientAuth,
    requestOptions: {
      // A vendor that cannot be reached is named in the failure, not reported as "fetch failed".
      [oauth.customFetch]: standardTokenResponses(namingUnreachableHosts(options.fetch ?? fetch)),
      // Plain HTTP only ever for a server on this machine (the tests' loopback vendor); never on the network.
      ...(endpoints.every((url) => url === undefined || isLoopbackOrHttps(url))
        ? { [oauth.allowInsecureRequests]: true }
        : {}),
      ...(signal ? { signal } : {}),
    },
    responseOptions: { recognizedTokenTypes: recognized },
  };
}

function isLoopbackOrHttps(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:') return true;
  return parsed.hostname === '127.0.0.1' || parsed.hostname === '[::1]' || parsed.hostname === 'localhost';
}

/** Scopes as the vendor wrote them: space- or comma-separated (Slack and GitHub use commas). */
export function parseScopes(scope: unknown): string[] | undefined {
  if (typeof scope !== 'string') return undefined;
  return scope
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * A token response as the credential the factory stores. When the vendor omits `scope`, RFC 6749 §5.1
 * says the grant is what was requested.
 */
export function credentialFrom(
  response: oauth.TokenEndpointResponse,
  requestedScopes: readonly string[],
  now: number,
): Credential {
  const scopes = parseScopes(response.scope) ?? [...requestedScopes];
  return {
    accessToken: response.access_token,
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
    ...(typeof response.expires_in === 'number' ? { expiresAt: now + response.expires_in * 1000 } : {}),
    scopes,
    tokenType: response.token_type,
  };
}

/**
 * The end of every flow that got tokens: they join the secrets to redact, become a credential, and the
 * person is told which scopes were granted (never the token).
 */
export function receivedCredential(
  tokens: oauth.TokenEndpointResponse,
  requestedScopes: readonly string[],
  context: {
    provider: { name: string };
    secrets: SecretSet;
    logger: Logger;
    print: (message: string) => void;
    now: number;
  },
): Credential {
  context.secrets.add(tokens.access_token, tokens.refresh_token);
  const credential = credentialFrom(tokens, requestedScopes, context.now);
  context.logger.info('oauth token received', { provider: context.provider.name, scopes: credential.scopes });
  context.print(
    `${context.provider.name} connected (scopes: ${credential.scopes.join(', ') || 'none reported'}).`,
  );
  return credential;
}

/** The vendor's `error` and `error_description` from an oauth4webapi failure, if it carried them. */
export function vendorError(
  error: unknown,
): { code: string; description?: string; body: Record<string, unknown> } | undefined {
  if (error instanceof oauth.ResponseBodyError) {
    return {
      code: error.error,
      ...(error.error_description ? { description: error.error_description } : {}),
      body: error.cause,
    };
  }
  if (error instanceof oauth.AuthorizationResponseError) {
    return {
      code: error.error,
      ...(error.error_description ? { description: error.error_description } : {}),
      body: Object.fromEntries(error.cause.entries()),
    };
  }
  return undefined;
}
