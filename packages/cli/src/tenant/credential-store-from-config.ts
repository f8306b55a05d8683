import { existsSync } from 'node:fs';
import {
  credentialKeyFromEnv,
  EncryptedFileCredentialStore,
  freshCredential,
  KEY_ENV,
  KEY_FILE_ENV,
  oauthRefresher,
  RelayfileCredentialStore,
} from '@software-factory/auth';
import { NotAuthorisedError, type TokenSource } from '@software-factory/providers';
import type { OAuthClientConfig, ProviderOAuth } from '@software-factory/providers/registry';
import type { Credential, CredentialStore } from '@software-factory/sdk';
import type { CredentialsConfig } from '../config/credentials-schema.ts';
import type { Environment } from '../config/secret-reference.ts';

/** The configured credentials store, or why there is none (then stored tokens read as absent). */
export interface ConfiguredCredentials {
  /** Where the connections live, for messages: the encrypted file, or relayfile. */
  path: string;
  store?: CredentialStore;
  /** Set when the store cannot be used, e.g. no key in the environment. */
  unavailable?: string;
}

/**
 * Opens the store the config's `credentials` names. The encrypted file is opened with the key from the
 * environment (`FACTORY_CREDENTIALS_KEY` or `FACTORY_CREDENTIALS_KEY_FILE`); without a key there is no
 * store: a provider that relies on it is `needs-auth`, which `factory check` reports and `factory connect`
 * fixes. relayfile needs no key: it holds the vendor connections itself, and its store runs relayfile's
 * connect session for `factory connect`.
 */
export function openCredentialStore(
  config: CredentialsConfig,
  env: Environment = process.env,
): ConfiguredCredentials {
  if (config.type === 'relayfile') return { path: 'relayfile', store: relayfileStore(config) };
  const key = credentialKeyFromEnv({ ...env });
  if (!key) {
    return {
      path: config.path,
      unavailable: existsSync(config.path)
        ? `${config.path} exists but neither ${KEY_ENV} nor ${KEY_FILE_ENV} is set to open it`
        : `no credentials stored yet (${config.path})`,
    };
  }
  return { path: config.path, store: new EncryptedFileCredentialStore({ path: config.path, key }) };
}

function relayfileStore(config: Extract<CredentialsConfig, { type: 'relayfile' }>): RelayfileCredentialStore {
  const { workspaces } = config;
  return new RelayfileCredentialStore({
    accessToken: config.accessToken,
    ...(config.cloudApiUrl ? { cloudApiUrl: config.cloudApiUrl } : {}),
    ...(config.integrations ? { integrations: { ...config.integrations } } : {}),
    workspaceFor: (tenant) => {
      const workspace = workspaces[tenant];
      // The config loader gives every tenant one; a tenant it does not know is a caller's mistake.
      if (!workspace) throw new Error(`no relayfile workspace is configured for tenant ${tenant}`);
      return workspace;
    },
  });
}

export type { OAuthClientConfig } from '@software-factory/providers/registry';

/**
 * A provider's token read from the store on every call (so a `factory connect` while the factory runs
 * is picked up), refreshed first when it is about to expire and the OAuth app is known (`oauth`, at the
 * token endpoint its registry entry names in `spec`).
 */
export function storedToken(
  credentials: ConfiguredCredentials,
  tenant: string,
  provider: string,
  oauth: OAuthClientConfig | undefined,
  spec?: ProviderOAuth | undefined,
): TokenSource {
  return async (): Promise<Credential | undefined> => {
    const store = credentials.store;
    if (!store) return undefined;
    const refresher = async (credential: Credential): Promise<Credential> => {
      if (!spec || !oauth)
        throw new Error(
          `the stored ${provider} token has expired and cannot be refreshed here (no OAuth client configured); run \`factory connect ${provider}\``,
        );
      return oauthRefresher({
        provider: {
          name: provider,
          ...(spec.authorizationEndpoint ? { authorizationEndpoint: spec.authorizationEndpoint } : {}),
          tokenEndpoint: oauth.tokenUrl ?? spec.tokenEndpoint,
          scopeSeparator: spec.scopeSeparator,
          defaultScopes: [],
          clientAuthentication: spec.clientAuthentication,
          extraTokenTypes: spec.extraTokenTypes,
        },
        clientId: oauth.clientId,
        ...(oauth.clientSecret ? { clientSecret: oauth.clientSecret } : {}),
      })(credential);
    };
    try {
      return await freshCredential(store, tenant, provider, refresher);
    } catch {
      // A token close to expiry still works; only one that has run out is worth failing for.
      const current = await store.get(tenant, provider);
      if (current && (current.expiresAt === undefined || current.expiresAt > Date.now())) return current;
      // Reported as `needs-auth` (not a broken provider): `factory connect` is the fix.
      throw new NotAuthorisedError(provider, 'the stored token has expired and could not be refreshed');
    }
  };
}
