import * as z from 'zod/mini';
import { parseOptions } from './parse-options.ts';

/** Where one vendor's OAuth endpoints are and the quirks of how it speaks OAuth. */
export interface OAuthProvider {
  /** The provider's config name, as the factory's `Connectable.provider` says it. */
  name: string;
  authorizationEndpoint?: string;
  tokenEndpoint: string;
  deviceAuthorizationEndpoint?: string;
  /** How the vendor wants the `scope` parameter joined: Linear and Slack use commas, RFC 6749 spaces. */
  scopeSeparator: ',' | ' ';
  /** What the factory's provider needs when the caller names no scopes (its `requiredScopes`). */
  defaultScopes: readonly string[];
  /** How the client secret travels to the token endpoint, when there is one. */
  clientAuthentication: 'basic' | 'post';
  /** `token_type` values besides `bearer` that the vendor issues (Slack: `bot`, `user`). */
  extraTokenTypes: readonly string[];
}

const endpointsSchema = z.strictObject({
  authorizationEndpoint: z.optional(z.url()),
  tokenEndpoint: z.optional(z.url()),
  deviceAuthorizationEndpoint: z.optional(z.url()),
  name: z.optional(z.string().check(z.minLength(1))),
});

/** Endpoint overrides, e.g. a loopback server in tests or a GitHub Enterprise host. */
export type OAuthEndpointOverrides = z.input<typeof endpointsSchema>;

function withOverrides(base: OAuthProvider, overrides: OAuthEndpointOverrides | undefined): OAuthProvider {
  const parsed = parseOptions(endpointsSchema, overrides ?? {}, `${base.name} OAuth endpoint`);
  const defined = Object.fromEntries(Object.entries(parsed).filter(([, value]) => value !== undefined));
  return { ...base, ...defined };
}

/**
 * Linear: authorization code with PKCE. Scopes are comma-separated; `read` is always granted.
 * https://linear.app/developers/oauth-2-0-authentication
 */
export function linearOAuth(overrides?: OAuthEndpointOverrides): OAuthProvider {
  return withOverrides(
    {
      name: 'linear',
      authorizationEndpoint: 'https://linear.app/oauth/authorize',
      tokenEndpoint: 'https://api.linear.app/oauth/token',
      scopeSeparator: ',',
      defaultScopes: ['read', 'write'],
      clientAuthentication: 'post',
      extraTokenTypes: [],
    },
    overrides,
  );
}

/**
 * Slack OAuth v2: bot scopes in `scope` (comma-separated), the bot token at the top level of the
 * `oauth.v2.access` answer with `token_type: "bot"`, failures as HTTP 200 `{ ok: false, error }`.
 * Slack asks for the client credentials in HTTP Basic. https://docs.slack.dev/reference/methods/oauth.v2.access
 */
export function slackOAuth(overrides?: OAuthEndpointOverrides): OAuthProvider {
  return withOverrides(
    {
      name: 'slack',
      authorizationEndpoint: 'https://slack.com/oauth/v2/authorize',
      tokenEndpoint: 'https://slack.com/api/oauth.v2.access',
      scopeSeparator: ',',
      defaultScopes: ['chat:write', 'channels:history'],
      clientAuthentication: 'basic',
      extraTokenTypes: ['bot', 'user'],
    },
    overrides,
  );
}

/**
 * GitHub: the device grant for terminals (no redirect URI to register), refresh for expiring user
 * tokens. GitHub answers in JSON only when asked with `Accept: application/json` (oauth4webapi sends
 * it) and reports `authorization_pending` and friends with HTTP 200.
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow
 */
export function githubOAuth(overrides?: OAuthEndpointOverrides): OAuthProvider {
  return withOverrides(
    {
      name: 'github',
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      deviceAuthorizationEndpoint: 'https://github.com/login/device/code',
      scopeSeparator: ' ',
      defaultScopes: ['repo'],
      clientAuthentication: 'post',
      extraTokenTypes: [],
    },
    overrides,
  );
}
