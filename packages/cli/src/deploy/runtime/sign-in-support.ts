import { createRemoteConnector, freshCredential, oauthRefresher } from '@software-factory/auth/remote';
import { remoteProvidersWith } from '@software-factory/providers/registry';
import { SealedBox, StoredCredentialStore } from '@software-factory/sdk';
import { scrubbedBy, storedTokenSource } from './stored-tokens.ts';

/**
 * What sign-ins on a deployment need: the sealed credentials in the store, the remote connector, the
 * refresh of stored tokens and the providers that sign in. A deployment with a credentials key gives it
 * to `deploymentTenants` (its generated entry imports it then); one without leaves it out of its bundle,
 * about 14 KiB gzip of a Worker (the auth package's OAuth client and `oauth4webapi` among it). The
 * stored tokens' source is here too: only a deployment that signs in reads tokens from its store.
 */
export const signIns = {
  createRemoteConnector,
  freshCredential,
  oauthRefresher,
  remoteProvidersWith,
  SealedBox,
  scrubbedBy,
  StoredCredentialStore,
  storedTokenSource,
};

export type SignInSupport = typeof signIns;
