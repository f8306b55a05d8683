/**
 * `@software-factory/providers/registry`: the provider registry, the tenant config schema and the
 * runtime-neutral tenant builder. It imports no Node module, so a Lambda or a Worker bundles it as well
 * as `factory start` runs it.
 */
export { commentsProvider } from './comments/index.ts';
export { expandFieldDocs, FIELD_DOCS } from './field-docs.ts';
export { githubApp } from './github/app-add-on.ts';
export { GithubAppAuth, type GithubAppAuthOptions, type GithubAppCredentials } from './github/app-auth.ts';
export {
  GITHUB_APP_CLIENT_CONNECTION,
  GITHUB_APP_CONNECTION,
  GITHUB_APP_WEBHOOK_CONNECTION,
  type GithubAppConfig,
  githubAppAuthOf,
  githubAppSchema,
  githubAppTokenFunction,
} from './github/app-config.ts';
export { githubProvider } from './github/index.ts';
export { GITHUB_OAUTH } from './github/oauth.ts';
export { githubIssuesProvider } from './github-issues/index.ts';
export { gitlabProvider } from './gitlab/index.ts';
export { GITLAB_OAUTH } from './gitlab/oauth.ts';
export { jiraProvider } from './jira/index.ts';
export { JIRA_OAUTH } from './jira/oauth.ts';
export { linearAgentChannelProvider } from './linear/agent-channel-entry.ts';
export { linearAgentMode } from './linear/agent-mode.ts';
export { linearProvider } from './linear/index.ts';
export { LINEAR_OAUTH } from './linear/oauth.ts';
export { BUILTIN_ADD_ONS, BUILTIN_PROVIDERS, providerRegistry } from './registry/builtin-providers.ts';
export {
  endpointOverrides,
  OAuthEndpointError,
  type OAuthEnvironment,
  oauthEnvironment,
  oauthProviderOf,
  signInEndpoints,
  specForConfig,
  vendorEndpoints,
} from './registry/oauth-endpoints.ts';
export type { AddOnNeed, ProviderAddOn } from './registry/provider-add-on.ts';
export {
  type AnyProviderEntry,
  type BuiltProvider,
  type CredentialCompletion,
  defineProvider,
  directOnly,
  type OAuthClientConfig,
  type OAuthEndpoints,
  type ProviderConfig,
  type ProviderContext,
  type ProviderEntry,
  type ProviderOAuth,
  type Requirement,
  ROLE_REPORT_NAMES,
  ROLES,
  type Role,
  type RolePorts,
  relayfileMount,
  type SchemaKit,
  type SecretField,
  type SetupQuestion,
  schemaKit,
  tokenOf,
  transportOf,
  webhookSecretRequirement,
} from './registry/provider-entry.ts';
export { ProviderRegistry } from './registry/provider-registry.ts';
export {
  type RemoteProvidersOptions,
  remoteProvidersOf,
  remoteProvidersWith,
} from './registry/remote-providers.ts';
export { roleSchema, shorthandJsonSchema, transports, unionMessage } from './registry/role-schema.ts';
export {
  defaultedSecret,
  type Environment,
  SecretResolver,
  secretReference,
} from './registry/secrets.ts';
export { slackProvider } from './slack/index.ts';
export { SLACK_OAUTH } from './slack/oauth.ts';
export {
  type BuiltTenant,
  buildTenant,
  buildTenantRuntime,
  buildTenantWith,
  checkConnections,
  type MountSupport,
  type RuntimeOptions,
  type TenantContext,
  type TenantRequirement,
  tenantRequirements,
  tenantSettings,
} from './tenant/build-tenant.ts';
export { FLEET_TYPES, type FleetConfig, fleetSchema } from './tenant/fleet-schema.ts';
export { TenantSettingsError, tenantConfigFromSettings } from './tenant/settings-variable.ts';
export {
  adminSecret,
  checkTenant,
  type MountConfig,
  mountSchema,
  parseTenantConfig,
  parseTenantConfigWith,
  type TenantConfig,
  TenantConfigError,
  type TenantParseOptions,
  type TenantSchemaOptions,
  tenantConfigSchema,
  tenantIdSchema,
} from './tenant/tenant-config-schema.ts';
export { triageSchema } from './tenant/triage-schema.ts';
