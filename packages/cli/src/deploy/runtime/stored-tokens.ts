import { NotAuthorisedError, readCredential, type TokenSource } from '@software-factory/providers';
import {
  type Environment,
  endpointOverrides,
  type OAuthClientConfig,
  oauthProviderOf,
  type ProviderOAuth,
} from '@software-factory/providers/registry';
import type { Credential, CredentialStore, Logger } from '@software-factory/sdk';
import type { SignInSupport } from './sign-in-support.ts';

/**
 * A provider's token read from a credential store on every call (so a sign-in while the factory runs is
 * picked up), refreshed first when it is about to expire and the OAuth app is known (`oauth`, at the token
 * endpoint its registry entry names in `spec`). On a store that compares and sets, two instances refreshing
 * at once keep one valid token. Runtime-neutral: `factory start`, Lambda and Workers read tokens this way.
 */
export function storedTokenSource(
  /** The refresh of stored tokens (`signIns`), given by the runtime that signs in. */
  signIns: Pick<SignInSupport, 'freshCredential' | 'oauthRefresher'>,
  store: CredentialStore | undefined,
  tenant: string,
  provider: string,
  oauth: OAuthClientConfig | undefined,
  spec: ProviderOAuth | undefined,
  /** Where `<PREFIX>_OAUTH_TOKEN_URL` may move the token endpoint (the loopback vendors of the tests). */
  env: Environment = {},
): TokenSource {
  return async (): Promise<Credential | undefined> => {
    if (!store) return undefined;
    const refresher = async (credential: Credential): Promise<Credential> => {
      if (!spec || !oauth)
        throw new Error(
          `the stored ${provider} token has expired and cannot be refreshed here (no OAuth client configured); run \`factory connect ${provider}\``,
        );
      return signIns.oauthRefresher({
        provider: oauthProviderOf(
          provider,
          spec,
          { tokenEndpoint: endpointOverrides(spec, oauth, env).tokenEndpoint ?? spec.tokenEndpoint },
          [],
        ),
        clientId: oauth.clientId,
        ...(oauth.clientSecret ? { clientSecret: oauth.clientSecret } : {}),
      })(credential);
    };
    try {
      return await signIns.freshCredential(store, tenant, provider, refresher);
    } catch {
      // A token close to expiry still works; only one that has run out is worth failing for.
      const current = await store.get(tenant, provider);
      if (current && (current.expiresAt === undefined || current.expiresAt > Date.now())) return current;
      // Reported as `needs-auth` (not a broken provider): a sign-in is the fix.
      throw new NotAuthorisedError(provider, 'the stored token has expired and could not be refreshed');
    }
  };
}

/**
 * The token source, with every token it hands out taught to the logger first: a token signed in to on
 * the deployment was never in its config, so the logger would not know to scrub it.
 */
export function scrubbedBy(logger: Logger, source: TokenSource): TokenSource {
  if (!logger.addSecrets) return source;
  return async () => {
    const credential = await readCredential(source);
    if (credential)
      logger.addSecrets?.(
        [credential.accessToken, credential.refreshToken].filter((token) => token !== undefined),
      );
    return credential;
  };
}
