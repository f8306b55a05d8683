import { type CredentialKeySource, credentialKeyFromEnv, deriveKeys } from '@software-factory/auth';
import type { FactoryConfig } from '../config/config-schema.ts';
import type { Environment } from '../config/secret-reference.ts';

/** Binds a key derived from the credentials key to this one use: sealing tokens in the state store. */
const STORED_CREDENTIALS_SALT = Buffer.from('factory stored credentials v1');

/**
 * The key tokens signed in to through the admin API are sealed with in the state store: the config's
 * `server.credentialsKey`, else the credentials key `factory connect` uses (FACTORY_CREDENTIALS_KEY as a
 * passphrase, stretched with scrypt, or FACTORY_CREDENTIALS_KEY_FILE). Undefined when neither is set:
 * tenants then give their tokens by reference and nobody signs in remotely.
 */
export async function deploymentKey(
  config: Pick<FactoryConfig, 'server'>,
  env: Environment,
): Promise<string | Uint8Array | undefined> {
  if (config.server.credentialsKey !== undefined) return config.server.credentialsKey;
  const source: CredentialKeySource | undefined = credentialKeyFromEnv({ ...env });
  if (!source) return undefined;
  return new Uint8Array((await deriveKeys(source, STORED_CREDENTIALS_SALT)).encryption);
}
