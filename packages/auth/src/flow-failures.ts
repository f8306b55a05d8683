import { errorMessage } from '@software-factory/sdk';
import { AuthFlowError } from './auth-error.ts';
import { UnreachableHostError } from './network-failure.ts';
import { vendorError } from './oauth-client.ts';
import type { OAuthProvider } from './oauth-providers.ts';
import type { SecretSet } from './redact.ts';

/** An error redirect from the vendor (the user said no, or the request was malformed) as an AuthFlowError. */
export function authorizationFailure(
  provider: OAuthProvider,
  error: unknown,
  scopes: readonly string[],
  secrets: SecretSet,
): AuthFlowError {
  const vendor = vendorError(error);
  if (vendor?.code === 'access_denied') {
    return new AuthFlowError(
      provider.name,
      'access-denied',
      `the ${provider.name} authorization was denied in the browser (access_denied); nothing was saved. Run the connect again and approve the scopes ${scopes.join(', ')}`,
    );
  }
  if (vendor) {
    const detail = vendor.description ? `: ${secrets.text(vendor.description)}` : '';
    return new AuthFlowError(
      provider.name,
      'invalid-redirect',
      `${provider.name} refused the authorization (${secrets.text(vendor.code)}${detail}); nothing was saved`,
    );
  }
  const message = errorMessage(error);
  return new AuthFlowError(
    provider.name,
    'invalid-redirect',
    `the ${provider.name} redirect was not a valid authorization response (${secrets.text(message)}); nothing was saved`,
  );
}

/** A failed token endpoint call (code exchange, device poll, refresh) as an AuthFlowError. */
export function tokenRequestFailure(
  provider: OAuthProvider,
  error: unknown,
  secrets: SecretSet,
): AuthFlowError {
  if (error instanceof AuthFlowError) return error;
  const vendor = vendorError(error);
  if (vendor) {
    const detail = vendor.description ? `: ${secrets.text(vendor.description)}` : '';
    return new AuthFlowError(
      provider.name,
      'token-request-failed',
      `${provider.name} refused the token request (${secrets.text(vendor.code)}${detail}); nothing was saved`,
    );
  }
  if (error instanceof UnreachableHostError) {
    return new AuthFlowError(
      provider.name,
      'unreachable',
      `${error.message} for the ${provider.name} sign-in; check the network (or a proxy) and that address; nothing was saved`,
    );
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new AuthFlowError(
      provider.name,
      'aborted',
      `connecting ${provider.name} was cancelled; nothing was saved`,
    );
  }
  const message = errorMessage(error);
  return new AuthFlowError(
    provider.name,
    'token-request-failed',
    `the ${provider.name} token request failed (${secrets.text(message)}); nothing was saved`,
  );
}
