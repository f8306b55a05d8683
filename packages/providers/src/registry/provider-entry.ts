import type { MountEventSource, MountTransports } from '@software-factory/relayfile';
import type {
  ClarificationChannel,
  Credential,
  Fetch,
  Logger,
  Mount,
  OutputTarget,
  ProviderRole,
  RetryOptions,
  WebhookSource,
  WorkItemProvider,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import type { TokenSource } from '../shared/provider-credentials.ts';
import type { AddOnNeed } from './provider-add-on.ts';
import { defaultedSecret, type SecretResolver, secretReference } from './secrets.ts';

/** The roles a tenant's config fills, by their config key. */
export const ROLES = ['intentProvider', 'clarificationChannel', 'outputTarget'] as const;
export type Role = (typeof ROLES)[number];

/** The core's name for each role, as connection reports carry it. */
export const ROLE_REPORT_NAMES: Readonly<Record<Role, ProviderRole>> = {
  intentProvider: 'intake',
  clarificationChannel: 'clarification',
  outputTarget: 'output',
};

/** The port each role is played by. */
export interface RolePorts {
  intentProvider: WorkItemProvider;
  clarificationChannel: ClarificationChannel;
  outputTarget: OutputTarget;
}

/** What every role's config has once parsed: its `type`, its `transport`, and the provider's own fields. */
export interface ProviderConfig {
  type: string;
  transport: string;
  /** The provider's config name (the credentials key, the row `factory check` prints); the `type` by default. */
  provider?: string;
  [field: string]: unknown;
}

/** A secret of a provider's config, the variable it defaults to, and what it is for. */
export interface SecretField {
  /** The config field, e.g. `apiKey`. */
  field: string;
  /** The variable a left-out field defaults to, e.g. `LINEAR_API_KEY`. */
  env: string;
  /**
   * `token`: the API token, else the one `factory connect` stored; `webhook-secret`: verifies the vendor's
   * webhooks, needed before the factory can take work.
   */
  kind: 'token' | 'webhook-secret';
}

/** Where a vendor's OAuth endpoints are. */
export interface OAuthEndpoints {
  authorizationEndpoint?: string;
  tokenEndpoint: string;
  deviceAuthorizationEndpoint?: string;
}

/** What a sign-in's last step is given besides the token: the provider's parsed config and a `fetch`. */
export interface CredentialCompletion<C extends ProviderConfig = ProviderConfig> {
  config: C;
  fetch: Fetch;
}

/**
 * How `factory connect` signs in to a vendor: the flow, the endpoints and the quirks of its OAuth
 * (`@software-factory/auth`'s `OAuthProvider` without the name and scopes, which come from the port).
 * The same spec drives the deployed app's sign-in (`remoteProvidersOf`).
 */
export interface ProviderOAuth<C extends ProviderConfig = ProviderConfig> {
  /** The vendor's name for people, e.g. "Linear". */
  vendor: string;
  /** The browser with PKCE through a loopback redirect, or the device authorization grant. */
  flow: 'authorization-code' | 'device';
  /** `<PREFIX>_CLIENT_ID`, `_CLIENT_SECRET` and `_OAUTH_AUTHORIZATION_URL` / `_TOKEN_URL` / `_DEVICE_URL`. */
  envPrefix: string;
  authorizationEndpoint?: string;
  tokenEndpoint: string;
  deviceAuthorizationEndpoint?: string;
  scopeSeparator: ',' | ' ';
  clientAuthentication: 'basic' | 'post';
  extraTokenTypes: readonly string[];
  /** Whether a code is redeemed only with the app's client secret (Slack). */
  clientSecretRequired: boolean;
  /** Vendor extras for the authorization URL, e.g. Atlassian's `audience` and `prompt=consent`. */
  authorizationParameters?: Readonly<Record<string, string>>;
  /**
   * Extras for the authorization URL that depend on the provider's parsed config, on top of
   * `authorizationParameters`: e.g. Linear's `actor=app` when the factory installs as an app.
   */
  authorizationParametersFor?(config: C): Readonly<Record<string, string>>;
  /**
   * Scopes every sign-in asks for besides the port's, which no connection check requires: Atlassian's
   * `offline_access`, without which its tokens come with no refresh token and die within the hour.
   */
  additionalScopes?: readonly string[];
  /**
   * The endpoints for one parsed config, when they depend on it (a self-managed GitLab's base URL);
   * the fixed ones above otherwise. `<PREFIX>_OAUTH_*` variables and `oauth.tokenUrl` still win.
   */
  endpointsFor?(config: C): OAuthEndpoints;
  /**
   * The sign-in's last step, after the token exchange and before anything is stored: turns the vendor's
   * token into what the provider reads, e.g. picks the Jira site the config names among those the
   * token was granted for (`credential.resource`). Throws, with a sentence for the person, when it
   * cannot; then nothing is stored.
   */
  completeCredential?(credential: Credential, context: CredentialCompletion<C>): Promise<Credential>;
}

/** The OAuth app a stored token was granted to, as the config names it (for refreshing the token). */
export interface OAuthClientConfig {
  clientId: string;
  clientSecret?: string | undefined;
  tokenUrl?: string | undefined;
}

/** Something a provider still needs before the factory can take work with it, as data. */
export interface Requirement {
  /** The field within the provider's config, e.g. `webhookSecret`. */
  field: string;
  /** What it is: "the secret Linear signs its webhooks with". */
  what: string;
  /** How to give it: "set LINEAR_WEBHOOK_SECRET", or an example of the field. */
  fix: string;
}

/** What a provider is built with, besides its own config. */
export interface ProviderContext {
  tenant: string;
  logger: Logger;
  fetch?: Fetch;
  retry?: RetryOptions;
  /**
   * The token of a provider whose config gives none: where `factory connect` put it (a credentials store),
   * read on every call. Undefined, or a source that yields nothing: the provider is `needs-auth`.
   */
  storedToken?: (
    provider: string,
    oauth: OAuthClientConfig | undefined,
    spec: ProviderOAuth | undefined,
  ) => TokenSource | undefined;
  /** The tenant's mount, for a provider with `transport: relayfile`. */
  mount?: Mount;
  /** relayfile's ports over a mount, given with `mount` (see `relayfileMount`). */
  mountTransports?: MountTransports;
  /** Set when the clarification channel hears answers as comments on the work item, through the intake. */
  commentReplies?: { trustedAuthors?: unknown };
  /** The tenant's intake, for a channel that writes through it (set when the channel is built). */
  intake?: WorkItemProvider;
  /** The part of an add-on the registry carries (see `ProviderAddOn`), by its name. */
  addOn?: (name: string) => unknown;
}

/** A provider built for one role. */
export interface BuiltProvider<R extends Role = Role> {
  port: RolePorts[R];
  /** Its webhook sources, mounted at `/t/<tenant>/webhooks/<source>`; absent while a secret is missing. */
  sources?: WebhookSource[];
  /** Its mount-backed readers (transport relayfile), fed by the mount's change events. */
  mountSources?: MountEventSource[];
  /** What it still needs before the factory can take work; it can be checked and connected meanwhile. */
  missing?: Requirement[];
}

/** One question `factory init` asks (or takes as a flag) for this provider. */
export interface SetupQuestion {
  /** The config field the answer fills. */
  field: string;
  /** The flag's name without dashes, e.g. `slack-channel`. */
  flag: string;
  /** The prompt, e.g. "Slack channel id (e.g. C0123456789)". */
  message: string;
  /** What a valid answer looks like. */
  schema: z.core.$ZodType<string>;
  /** Asked in a terminal (else taken from the flag only). */
  prompt: boolean;
  /** Without it the config does not load (else it can be added before `factory start`). */
  required: boolean;
  /** The config value for an answer (default: the answer itself). */
  value?: (answer: string) => unknown;
}

/** Helpers an entry's schema is written with, bound to the config's secrets. */
export interface SchemaKit {
  secrets: SecretResolver;
  /** A secret that must be written, as a reference. */
  secret(example: string): ReturnType<typeof secretReference>;
  /** A secret left out defaults to `${env}` when that variable is set (see `defaultedSecret`). */
  defaulted(field: SecretField, description: string): ReturnType<typeof defaultedSecret>;
  /** The `oauth:` block: the app a stored token was granted to; `<PREFIX>_CLIENT_ID`/`_SECRET` when left out. */
  oauthClient(spec: ProviderOAuth): z.ZodMiniType<OAuthClientConfig | undefined>;
}

/**
 * One vendor in the registry: everything the config schema, the JSON Schema, `factory init`, `check`,
 * `connect` and every runtime need to know about it. Nothing outside its folder names it.
 */
export interface ProviderEntry<C extends ProviderConfig = ProviderConfig, R extends Role = Role> {
  /** Its config name, as `intentProvider: <type>` says it. */
  type: string;
  /** Its name for people, e.g. "Linear". */
  title: string;
  /** What it does, in a few words, e.g. "Linear issues" (init's menu). */
  summary: string;
  roles: readonly R[];
  /**
   * The schema of its mapping form, with `type: z.literal(<type>)`; a discriminated union on `transport`
   * when it has several (the first is the default). The bare name is `{ type: <type> }` parsed by it.
   */
  schema(kit: SchemaKit): z.core.$ZodType<C, unknown>;
  /** Its role port, webhook sources and mount readers, from its parsed config. */
  build(config: C, context: ProviderContext, role: R): BuiltProvider<R>;
  /** Its secrets and the variables they default to. */
  secrets: readonly SecretField[];
  /** The scopes its token needs (the port may narrow them from its config, e.g. a private Slack channel). */
  scopes: readonly string[];
  /** How `factory connect` signs in to it; absent: its token is given by reference only. */
  oauth?: ProviderOAuth<C>;
  /** The shortest useful mapping form, for messages: `intentProvider: { type: jira, siteUrl: … }`. */
  example: string;
  /** An intake whose comments can answer questions: the schema of the comments channel's `trustedAuthors`. */
  commentAuthors?: z.core.$ZodType;
  /** A channel that hears answers as comments through the intake: what the intake's source needs. */
  commentReplies?: (config: C) => { trustedAuthors?: unknown };
  /**
   * What it needs of the tenant's other roles, checked when the config is parsed: e.g. a channel that
   * asks in the intake's own conversations needs that intake in the right mode. A problem is reported at
   * `path` with `message`; undefined when the pairing holds.
   */
  pairing?(tenant: Readonly<Record<Role, ProviderConfig>>): { path: string[]; message: string } | undefined;
  /** The add-ons (see `ProviderAddOn`) this config needs, checked against the registry when it is parsed. */
  addOns?(config: C): AddOnNeed[];
  /** `factory init`: the questions it asks and how the ready label is written. */
  setup?: {
    questions?: readonly SetupQuestion[];
    /** The fields that make items with `label` the ready ones (absent: the provider has no such setting). */
    readyLabel?: (label: string) => Record<string, unknown>;
  };
}

/** An entry of any config type, as the registry holds them. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds entries of every config type.
export type AnyProviderEntry = ProviderEntry<any, Role>;

/** Declares a registry entry; only gives the types a place to be inferred. */
export function defineProvider<C extends ProviderConfig, R extends Role>(
  entry: ProviderEntry<C, R>,
): ProviderEntry<C, R> {
  return entry;
}

/** The kit an entry's schema is built with. */
export function schemaKit(secrets: SecretResolver): SchemaKit {
  return {
    secrets,
    secret: (example) => secretReference(secrets, example),
    defaulted: (field, description) => defaultedSecret(secrets, field.env, description, field.kind),
    oauthClient: (spec) =>
      z
        .pipe(
          z.optional(
            z.strictObject({
              clientId: z.string().check(z.minLength(1), z.describe('#provider.clientId')),
              clientSecret: z.optional(secretReference(secrets, `${spec.envPrefix}_CLIENT_SECRET`)),
              tokenUrl: z.optional(z.url({ protocol: /^https?$/ })).check(z.describe('#provider.tokenUrl')),
            }),
          ),
          z.transform((written): OAuthClientConfig | undefined => {
            if (written) return written;
            // Left out: the app `factory connect` signs in with, from the environment, so its tokens refresh.
            const clientId = secrets.read(`${spec.envPrefix}_CLIENT_ID`);
            if (!clientId) return undefined;
            const clientSecret = secrets.resolve(`${spec.envPrefix}_CLIENT_SECRET`);
            return { clientId, ...(clientSecret ? { clientSecret } : {}) };
          }),
        )
        .check(
          z.describe(
            `The OAuth app a stored token came from, used to refresh it when it expires. Default: ${spec.envPrefix}_CLIENT_ID and ${spec.envPrefix}_CLIENT_SECRET when set.`,
          ),
        ),
  };
}

/** The "needs a webhook secret" requirement of a provider whose default variable is `field.env`. */
export function webhookSecretRequirement(field: SecretField, vendor: string): Requirement {
  return {
    field: field.field,
    what: `the secret ${vendor} signs its webhooks with`,
    fix: `set ${field.env} (or write ${field.field}: \${NAME})`,
  };
}

/** The token of a provider: written (or its variable), else the one `factory connect` stored. */
export function tokenOf(
  written: string | undefined,
  context: ProviderContext,
  provider: string,
  oauth: OAuthClientConfig | undefined,
  spec: ProviderOAuth | undefined,
): { token?: TokenSource } {
  const token = written ?? context.storedToken?.(provider, oauth, spec);
  return token !== undefined ? { token } : {};
}

/**
 * The tenant's mount and relayfile's ports over it, for a provider with `transport: relayfile`; a runtime
 * that opens no mount (a deployment) refuses such a provider here, and its bundle carries none of them.
 */
export function relayfileMount(
  context: ProviderContext,
  role: Role,
): { mount: Mount; ports: MountTransports } {
  if (!context.mount || !context.mountTransports)
    throw new Error(`${role}: transport "relayfile" needs the tenant’s mount`);
  return { mount: context.mount, ports: context.mountTransports };
}

/** The fetch and retry a provider's HTTP client takes from the context. */
export function transportOf(context: ProviderContext): { fetch?: Fetch; retry?: RetryOptions } {
  return {
    ...(context.fetch ? { fetch: context.fetch } : {}),
    ...(context.retry ? { retry: context.retry } : {}),
  };
}

/** The transport field of a provider that only talks to its vendor's API. */
export const directOnly = z._default(z.literal('direct'), 'direct').check(z.describe('#provider.directOnly'));
