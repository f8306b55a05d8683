import {
  type ConnectionStatus,
  ConnectRefusedError,
  type ConnectStart,
  sha256Hex,
  timingSafeEqual,
} from '@software-factory/sdk';
import * as oauth from 'oauth4webapi';
import { authorizationFailure, tokenRequestFailure } from '../flow-failures.ts';
import { credentialFrom, oauthPlumbing } from '../oauth-client.ts';
import { redeemAuthorizationCode } from '../oauth-grants.ts';
import { type ConnectorContext, secretsOf } from './connector-context.ts';
import type { RemoteProvider } from './remote-provider.ts';
import { connectionOf, failSignIn, storeSignedInCredential } from './sign-in-outcome.ts';
import { readSignIn, replaceSignIn, sealContext, writeSignIn } from './sign-in-record.ts';

/** oauth4webapi's states are 43 characters; anything far longer is not one of ours. */
const MAX_STATE_LENGTH = 512;
const MAX_CODE_LENGTH = 4096;

/**
 * Starts an authorization code sign-in with PKCE: the verifier is sealed and the `state` kept only as
 * its hash, in the provider's sign-in document (replacing any earlier one); the browser goes to the URL.
 */
export async function startCodeSignIn(
  context: ConnectorContext,
  provider: RemoteProvider,
  scopes: readonly string[],
  redirectUri: string,
): Promise<ConnectStart> {
  const endpoint = provider.oauth.authorizationEndpoint;
  // Checked when the connector is made; this keeps the type honest.
  if (!endpoint) throw new Error(`${provider.name} has no authorization endpoint`);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const now = context.clock.now();
  const expiresAt = now + context.ttlMs;

  const url = new URL(endpoint);
  // The provider's extras first, so the parameters PKCE and the state check rely on always win.
  for (const [key, value] of Object.entries(provider.authorizationParameters ?? {})) {
    url.searchParams.set(key, value);
  }
  url.searchParams.set('client_id', provider.client.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', scopes.join(provider.oauth.scopeSeparator));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');

  await replaceSignIn(context.store, context.tenant, provider.name, {
    flow: 'authorization-code',
    stateSha256: await sha256Hex(state),
    sealed: await context.box.seal(verifier, sealContext(context.tenant, provider.name)),
    scopes: [...scopes],
    redirectUri,
    startedAt: now,
    expiresAt,
    status: 'pending',
  });
  context.logger.info('remote sign-in started', {
    tenant: context.tenant,
    provider: provider.name,
    flow: 'authorization-code',
    scopes,
    redirectUri,
  });
  return {
    flow: 'authorization-code',
    provider: provider.name,
    authorizationUrl: url.href,
    scopes: [...scopes],
    expiresAt,
  };
}

/**
 * The vendor's redirect: believed only when its `state` hashes to the pending sign-in of this tenant and
 * provider. The sign-in is marked used (compare-and-set) before the code is exchanged, so of two
 * callbacks with one state exactly one exchanges.
 */
export async function finishCodeSignIn(
  context: ConnectorContext,
  provider: RemoteProvider,
  url: URL,
): Promise<ConnectionStatus> {
  const secrets = secretsOf(provider);
  const state = url.searchParams.get('state') ?? '';
  const code = url.searchParams.get('code') ?? '';
  secrets.add(state, code);
  const refuse = (status: ConnectRefusedError['status'], reason: string, message: string) => {
    context.logger.warn('remote sign-in callback refused', {
      tenant: context.tenant,
      provider: provider.name,
      reason,
    });
    return new ConnectRefusedError(status, message);
  };

  const stored = await readSignIn(context.store, context.tenant, provider.name);
  const record = stored?.record;
  if (
    !stored ||
    !record?.stateSha256 ||
    record.flow !== 'authorization-code' ||
    state.length === 0 ||
    state.length > MAX_STATE_LENGTH ||
    !timingSafeEqual(await sha256Hex(state), record.stateSha256)
  ) {
    throw refuse(
      400,
      'unknown-state',
      `unknown or superseded sign-in for ${provider.name}; nothing was saved. Start the connect again`,
    );
  }
  if (record.status !== 'pending') {
    throw refuse(409, 'state-reused', `this sign-in was already used; nothing was saved`);
  }
  if (context.clock.now() >= record.expiresAt) {
    throw refuse(
      410,
      'expired',
      `this ${provider.name} sign-in expired; nothing was saved. Start the connect again`,
    );
  }
  const current = { record, version: stored.version };

  const vendorError = url.searchParams.get('error');
  if (vendorError !== null) {
    throw await failSignIn(
      context,
      provider,
      current,
      400,
      `${provider.name} refused the sign-in (${errorCode(vendorError)}); nothing was saved`,
      secrets,
    );
  }
  if (code.length === 0 || code.length > MAX_CODE_LENGTH) {
    throw refuse(
      400,
      'no-code',
      `the ${provider.name} redirect carried no authorization code; nothing was saved`,
    );
  }

  const usedVersion = await writeSignIn(
    context.store,
    context.tenant,
    provider.name,
    { ...record, status: 'used' },
    current.version,
  );
  if (usedVersion === undefined) {
    throw refuse(409, 'state-reused', `this sign-in was already used; nothing was saved`);
  }
  const used = { record: { ...record, status: 'used' as const }, version: usedVersion };

  let verifier: string;
  try {
    verifier = await context.box.open(record.sealed, sealContext(context.tenant, provider.name));
  } catch {
    throw await failSignIn(
      context,
      provider,
      used,
      400,
      `the ${provider.name} sign-in record does not decrypt here; nothing was saved. Start the connect again`,
      secrets,
    );
  }
  secrets.add(verifier);

  const plumbing = oauthPlumbing(provider.oauth, { ...provider.client, fetch: context.fetch });
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(plumbing.server, plumbing.client, url, state);
  } catch (error) {
    throw await failSignIn(
      context,
      provider,
      used,
      400,
      authorizationFailure(provider.oauth, error, record.scopes, secrets).message,
      secrets,
    );
  }

  let tokens: oauth.TokenEndpointResponse;
  try {
    tokens = await redeemAuthorizationCode(plumbing, params, record.redirectUri ?? '', verifier);
  } catch (error) {
    throw await failSignIn(
      context,
      provider,
      used,
      502,
      tokenRequestFailure(provider.oauth, error, secrets).message,
      secrets,
    );
  }
  secrets.add(tokens.access_token, tokens.refresh_token);
  const credential = credentialFrom(tokens, record.scopes, context.clock.now());
  await storeSignedInCredential(context, provider, credential, used, secrets);
  return connectionOf(provider, secrets);
}

/** The vendor's `error` as a code to show: RFC 6749 codes are short and plain; anything else is not repeated. */
function errorCode(value: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : 'an unrecognised error';
}
