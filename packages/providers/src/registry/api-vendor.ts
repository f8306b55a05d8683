import type { Fetch, RetryOptions, TrustedAuthorsConfig, WebhookSource } from '@software-factory/sdk';
import * as z from 'zod/mini';
import type { TokenSource } from '../shared/provider-credentials.ts';
import {
  type BuiltProvider,
  directOnly,
  type OAuthClientConfig,
  type ProviderContext,
  type ProviderOAuth,
  type Requirement,
  type Role,
  type RolePorts,
  type SchemaKit,
  type SecretField,
  tokenOf,
  transportOf,
  webhookSecretRequirement,
} from './provider-entry.ts';

/** A vendor reached through its own API: its name for people, its token, its webhook secret, its OAuth. */
export interface ApiVendorSpec {
  /** e.g. "GitLab", for messages. */
  vendor: string;
  /** The token's config field and the variable it defaults to, e.g. `token` and `GITLAB_TOKEN`. */
  token: { field: string; env: string };
  /** The webhook secret's variable, and its field when not `webhookSecret`. */
  webhookSecret: { field?: string; env: string };
  oauth: ProviderOAuth;
}

/** How a vendor's `token` and `webhookSecret` fields are described in the JSON Schema. */
export interface DirectFieldsHelp {
  token: string;
  webhookSecret: string;
}

/** A vendor's secret fields, and the registry parts every vendor reached through its own API shares. */
export function apiVendor(spec: ApiVendorSpec) {
  const token: SecretField = { ...spec.token, kind: 'token' };
  const webhookSecret: SecretField = {
    field: spec.webhookSecret.field ?? 'webhookSecret',
    env: spec.webhookSecret.env,
    kind: 'webhook-secret',
  };
  const missingWebhookSecret = (): Requirement => webhookSecretRequirement(webhookSecret, spec.vendor);
  const directFields = (kit: SchemaKit, help: DirectFieldsHelp) => ({
    transport: directOnly,
    token: kit.defaulted(token, help.token),
    webhookSecret: kit.defaulted(webhookSecret, help.webhookSecret),
    oauth: kit.oauthClient(spec.oauth),
  });
  return {
    token,
    webhookSecret,
    secrets: [token, webhookSecret],
    /** What the config still needs while the webhook secret is missing. */
    missingWebhookSecret,
    /** The fields of a vendor reached only through its API (`token`, `webhookSecret`), described. */
    directFields,
    /**
     * The config schema of an entry reached only through the vendor's API: the port's own fields, its
     * `type`, the fields above and the entry's `extra`, strict, described for the JSON Schema.
     */
    directSchema<T extends string, S extends z.core.$ZodLooseShape, E extends z.core.$ZodLooseShape>(
      kit: SchemaKit,
      entry: { type: T; port: z.ZodMiniObject<S>; help: DirectFieldsHelp; extra: E; description: string },
    ) {
      return z
        .strictObject(
          z.extend(entry.port, {
            type: z.literal(entry.type),
            ...directFields(kit, entry.help),
            ...entry.extra,
          }).shape,
        )
        .check(z.describe(entry.description));
    },
    /** The port's token (written, else stored; refreshed through `oauthSpec`) and its fetch and retry. */
    access: (
      context: ProviderContext,
      provider: string,
      written: string | undefined,
      oauth: OAuthClientConfig | undefined,
      oauthSpec: ProviderOAuth = spec.oauth,
    ): { token?: TokenSource; fetch?: Fetch; retry?: RetryOptions } => ({
      ...tokenOf(written, context, provider, oauth, oauthSpec),
      ...transportOf(context),
    }),
    /**
     * A port with its webhook source, made once the secret the vendor signs with is known (or where to
     * read it); until then the port alone, with that secret as what it still needs (it can be checked and
     * connected meanwhile).
     */
    withWebhookSource<R extends Role, S>(
      port: RolePorts[R],
      secret: S | undefined,
      source: (secret: S) => WebhookSource,
    ): BuiltProvider<R> {
      if (!secret) return { port, missing: [missingWebhookSecret()] };
      return { port, sources: [source(secret)] };
    },
  };
}

/**
 * What an intake's webhook source is told about answers given as comments on the work item: whether the
 * clarification channel hears them there, and who may give them.
 */
/** What `apiVendor` declares of one vendor, by which an exported vendor constant is typed. */
export type ApiVendor = ReturnType<typeof apiVendor>;

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
