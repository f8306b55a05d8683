import { existsSync } from 'node:fs';
import {
  credentialKeyFromEnv,
  EncryptedFileCredentialStore,
  KEY_ENV,
  KEY_FILE_ENV,
  RelayfileCredentialStore,
} from '@software-factory/auth';
import type { TokenSource } from '@software-factory/providers';
import type { OAuthClientConfig, ProviderOAuth } from '@software-factory/providers/registry';
import type { CredentialStore } from '@software-factory/sdk';
import type { CredentialsConfig } from '../config/credentials-schema.ts';
import type { Environment } from '../config/secret-reference.ts';
import { signIns } from '../deploy/runtime/sign-in-support.ts';
import { storedTokenSource } from '../deploy/runtime/stored-tokens.ts';

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

/** A provider's token from the configured store (see `storedTokenSource`); absent while there is none. */
export function storedToken(
  credentials: ConfiguredCredentials,
  tenant: string,
  provider: string,
  oauth: OAuthClientConfig | undefined,
  spec?: ProviderOAuth | undefined,
): TokenSource {
  return storedTokenSource(signIns, credentials.store, tenant, provider, oauth, spec, process.env);
}
