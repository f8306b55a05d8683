/**
 * `@software-factory/auth/remote`: what a deployed app (Workers, Lambda, Node) needs of this package:
 * the app's side of `factory connect --remote` and refreshing stored tokens. Nothing here, nor anything
 * it imports, may import a `node:` module (a test walks the graph).
 */
export { AuthFlowError } from '../auth-error.ts';
export type { OAuthProvider } from '../oauth-providers.ts';
export { REDACTED, redact, SecretSet } from '../redact.ts';
export {
  type FreshCredentialOptions,
  freshCredential,
  oauthRefresher,
  type Refresher,
  type RefreshOptions,
  refreshCredential,
} from '../refresh.ts';
export { type ScopeRequest, scopesToRequest } from '../scope-diff.ts';
export type { Fetch } from '../vendor-token-responses.ts';
export { createRemoteConnector, type RemoteConnectorOptions } from './remote-connector.ts';
export type { RemoteProvider } from './remote-provider.ts';
export { sealContext, signInDocumentName } from './sign-in-record.ts';
