import type { TrustedAuthorsConfig, WebhookSource } from '@software-factory/sdk';
import type { Fetch, RetryOptions } from '../shared/http-retry.ts';
import type { TokenSource } from '../shared/provider-credentials.ts';
import {
  type BuiltProvider,
  directOnly,
  type OAuthClientConfig,
  type ProviderContext,
  type ProviderOAuth,
  type Role,
  type RolePorts,
  type SchemaKit,
  type SecretField,
  tokenOf,
  transportOf,
  webhookSecretRequirement,
} from './provider-entry.ts';

// The parts every vendor reached through its own API shares: a token, webhooks signed with a secret, an
// OAuth app that can refresh a stored token. Each vendor's index names only what differs.

/** A vendor's API token as a config field, and the variable it defaults to. */
export function tokenField(field: string, env: string): SecretField {
  return { field, env, kind: 'token' };
}

/** The secret a vendor signs its webhooks with, as a config field, and the variable it defaults to. */
export function webhookSecretField(env: string, field = 'webhookSecret'): SecretField {
  return { field, env, kind: 'webhook-secret' };
}

/** How a vendor's `token` and `webhookSecret` fields are described, and the OAuth app its tokens come from. */
export interface ApiFieldsSpec {
  token: SecretField;
  tokenHelp: string;
  webhookSecret: SecretField;
  webhookSecretHelp: string;
  oauth: ProviderOAuth;
}

/** The config fields of a vendor reached only through its API: the transport, token, webhook secret and OAuth app. */
export function directApiFields(kit: SchemaKit, spec: ApiFieldsSpec) {
  return {
    transport: directOnly,
    token: kit.defaulted(spec.token, spec.tokenHelp),
    webhookSecret: kit.defaulted(spec.webhookSecret, spec.webhookSecretHelp),
    oauth: kit.oauthClient(spec.oauth),
  };
}

/** What a port that talks to its vendor's API is given: its token (written or stored), fetch and retry. */
export function apiAccessOf(
  context: ProviderContext,
  provider: string,
  token: string | undefined,
  oauth: OAuthClientConfig | undefined,
  spec: ProviderOAuth,
): { token?: TokenSource; fetch?: Fetch; retry?: RetryOptions } {
  return { ...tokenOf(token, context, provider, oauth, spec), ...transportOf(context) };
}

/**
 * A port with its webhook source, made once the secret the vendor signs with is known (or where to read it); until then the port
 * alone, with that secret as what it still needs (it can be checked and connected meanwhile).
 */
export function withWebhookSource<R extends Role, S>(
  port: RolePorts[R],
  secret: S | undefined,
  signer: { field: SecretField; vendor: string },
  source: (secret: S) => WebhookSource,
): BuiltProvider<R> {
  if (!secret) return { port, missing: [webhookSecretRequirement(signer.field, signer.vendor)] };
  return { port, sources: [source(secret)] };
}

/**
 * What an intake's webhook source is told about answers given as comments on the work item: whether the
 * clarification channel hears them there, and who may give them.
 */
export function commentReplyOptions(context: ProviderContext): {
  commentReplies: boolean;
  trustedAuthors?: TrustedAuthorsConfig;
} {
  const replies = context.commentReplies;
  return {
    commentReplies: replies !== undefined,
    ...(replies?.trustedAuthors ? { trustedAuthors: replies.trustedAuthors as TrustedAuthorsConfig } : {}),
  };
}
