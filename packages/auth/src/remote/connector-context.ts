import type { Clock, CredentialStore, Logger, SealedBox, StateStore } from '@software-factory/sdk';
import { SecretSet } from '../redact.ts';
import type { Fetch } from '../vendor-token-responses.ts';
import type { RemoteProvider } from './remote-provider.ts';

/** What every step of a tenant's remote sign-ins works with. */
export interface ConnectorContext {
  tenant: string;
  store: StateStore;
  box: SealedBox;
  credentials: CredentialStore;
  clock: Clock;
  fetch: Fetch;
  logger: Logger;
  ttlMs: number;
}

/** The secrets one request handles, starting with the client secret; every log line and reason goes through it. */
export function secretsOf(provider: RemoteProvider): SecretSet {
  const secrets = new SecretSet();
  secrets.add(provider.client.clientSecret);
  return secrets;
}
