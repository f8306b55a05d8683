import type { Credential, CredentialStore } from '@software-factory/sdk';

/**
 * Where a provider gets its token: a fixed string (tests, single-tenant setups) or a function asked on
 * every call, so a rotated or refreshed token is picked up without rebuilding the provider.
 */
export type TokenSource = string | (() => Promise<Credential | string | undefined>);

/** The credential behind a token source; undefined when there is none yet. */
export async function readCredential(source: TokenSource | undefined): Promise<Credential | undefined> {
  if (source === undefined) return undefined;
  const value = typeof source === 'string' ? source : await source();
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') return { accessToken: value, scopes: [] };
  return value.accessToken ? value : undefined;
}

/** A token source reading one tenant's credential for one provider from a credential store. */
export function credentialStoreTokens(store: CredentialStore, tenant: string, provider: string): TokenSource {
  return () => store.get(tenant, provider);
}
