export { type AuthFailure, AuthFlowError } from './auth-error.ts';
export { type AuthorizationCodeOptions, authorizeWithPkce } from './authorization-code-flow.ts';
export {
  type ConnectContext,
  type ConnectPrompt,
  type ConnectSessionStore,
  holdsConnectSessions,
} from './connect-context.ts';
export {
  type CredentialKeySource,
  credentialKeyFromEnv,
  deriveKeys,
  KEY_ENV,
  KEY_FILE_ENV,
} from './credential-key.ts';
export { authorizeWithDeviceCode, type DeviceCodeOptions } from './device-flow.ts';
export {
  EncryptedFileCredentialStore,
  type EncryptedFileCredentialStoreOptions,
} from './encrypted-file-credential-store.ts';
export { type LoopbackRedirect, startLoopbackRedirect } from './loopback-redirect.ts';
export { formatWait, UnreachableHostError, unreachableHost } from './network-failure.ts';
export { type OAuthClientOptions, parseScopes } from './oauth-client.ts';
export {
  githubOAuth,
  linearOAuth,
  type OAuthEndpointOverrides,
  type OAuthProvider,
  slackOAuth,
} from './oauth-providers.ts';
export {
  ensurePrivateDirectory,
  ensurePrivateFile,
  keepPrivate,
  PRIVATE_DIRECTORY_MODE,
  PRIVATE_FILE_MODE,
  type PrivatePathOptions,
} from './private-files.ts';
export { REDACTED, redact, SecretSet } from './redact.ts';
export {
  type FreshCredentialOptions,
  freshCredential,
  oauthRefresher,
  type Refresher,
  type RefreshOptions,
  refreshCredential,
} from './refresh.ts';
export {
  RelayfileCredentialStore,
  type RelayfileCredentialStoreOptions,
} from './relayfile-credential-store.ts';
export { type ScopeRequest, scopesToRequest } from './scope-diff.ts';
export type { Sleep } from './sleep.ts';
export type { Fetch } from './vendor-token-responses.ts';
