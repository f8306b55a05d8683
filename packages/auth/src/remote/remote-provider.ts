import type { ConnectionStatus, Credential } from '@software-factory/sdk';
import type { OAuthProvider } from '../oauth-providers.ts';
import type { Fetch } from '../vendor-token-responses.ts';

/** One provider of a tenant as the deployed app signs in to it (see `createRemoteConnector`). */
export interface RemoteProvider {
  /** The provider's name: the key its credential is stored under and the `:provider` of the routes. */
  name: string;
  /** The vendor's endpoints and OAuth quirks (the endpoints already overridden where configured). */
  oauth: OAuthProvider;
  /** The browser with PKCE, redirected to the app's callback; or the device grant, polled by the app. */
  flow: 'authorization-code' | 'device';
  /** The OAuth app registered with the vendor. */
  client: { clientId: string; clientSecret?: string };
  /** The scopes the provider needs; a sign-in asks for these plus what it already holds. */
  requiredScopes: readonly string[];
  /** Vendor extras for the authorization URL (e.g. an `audience`, `prompt=consent`, `actor=app`). */
  authorizationParameters?: Readonly<Record<string, string>>;
  /** Turns the vendor's token into what the provider reads, e.g. picks the site granted after consent. */
  completeCredential?(credential: Credential, fetch: Fetch): Promise<Credential>;
  /** The provider's connection now (reads the stored credential). */
  check(): Promise<ConnectionStatus>;
}
