import { type ConnectProgress, ConnectRefusedError, type ConnectStart } from '@software-factory/sdk';
import type * as oauth from 'oauth4webapi';
import { tokenRequestFailure } from '../flow-failures.ts';
import { credentialFrom, oauthPlumbing, vendorError } from '../oauth-client.ts';
import { pollDeviceCode, requestDeviceAuthorization } from '../oauth-grants.ts';
import { type ConnectorContext, secretsOf } from './connector-context.ts';
import type { RemoteProvider } from './remote-provider.ts';
import { connectionOf, failSignIn, reportedProgress, storeSignedInCredential } from './sign-in-outcome.ts';
import { readSignIn, replaceSignIn, type SignInRecord, sealContext, writeSignIn } from './sign-in-record.ts';

/** RFC 8628 §3.5: without an `interval` the client waits five seconds, and `slow_down` adds five more. */
const DEFAULT_INTERVAL_S = 5;
const SLOW_DOWN_STEP_S = 5;

/** Asks the vendor for a device code; the app keeps it (sealed) and polls for the token itself. */
export async function startDeviceSignIn(
  context: ConnectorContext,
  provider: RemoteProvider,
  scopes: readonly string[],
): Promise<ConnectStart> {
  const secrets = secretsOf(provider);
  const plumbing = oauthPlumbing(provider.oauth, { ...provider.client, fetch: context.fetch });
  let authorization: oauth.DeviceAuthorizationResponse;
  try {
    authorization = await requestDeviceAuthorization(plumbing, scopes.join(provider.oauth.scopeSeparator));
  } catch (error) {
    const message = tokenRequestFailure(provider.oauth, error, secrets).message;
    context.logger.warn('remote sign-in could not start', {
      tenant: context.tenant,
      provider: provider.name,
      flow: 'device',
      reason: message,
    });
    throw new ConnectRefusedError(502, message);
  }
  secrets.add(authorization.device_code);

  const now = context.clock.now();
  const expiresAt = Math.min(now + context.ttlMs, now + authorization.expires_in * 1000);
  const intervalSeconds = authorization.interval ?? DEFAULT_INTERVAL_S;
  await replaceSignIn(context.store, context.tenant, provider.name, {
    flow: 'device',
    sealed: await context.box.seal(authorization.device_code, sealContext(context.tenant, provider.name)),
    scopes: [...scopes],
    startedAt: now,
    expiresAt,
    status: 'pending',
    intervalSeconds,
    nextPollAt: now + intervalSeconds * 1000,
  });
  context.logger.info('remote sign-in started', {
    tenant: context.tenant,
    provider: provider.name,
    flow: 'device',
    scopes,
  });
  return {
    flow: 'device',
    provider: provider.name,
    verificationUri: authorization.verification_uri,
    userCode: authorization.user_code,
    scopes: [...scopes],
    expiresAt,
    intervalSeconds,
  };
}

/**
 * One poll of the token endpoint for a pending device sign-in that is due. The poll is claimed first by
 * moving `nextPollAt` with compare-and-set: of two instances asking at once, one polls and the other
 * reports what it read, so a device code is never redeemed twice nor polled faster than the vendor allows.
 */
export async function pollDeviceSignIn(
  context: ConnectorContext,
  provider: RemoteProvider,
  current: { record: SignInRecord; version: number },
): Promise<ConnectProgress> {
  const secrets = secretsOf(provider);
  const now = context.clock.now();
  const { record } = current;
  const intervalSeconds = record.intervalSeconds ?? DEFAULT_INTERVAL_S;
  const pending: ConnectProgress = { state: 'pending', flow: 'device', expiresAt: record.expiresAt };
  const claimedRecord = { ...record, nextPollAt: now + intervalSeconds * 1000 };
  const claimedVersion = await writeSignIn(
    context.store,
    context.tenant,
    provider.name,
    claimedRecord,
    current.version,
  );
  if (claimedVersion === undefined) return afterLostClaim(context, provider);
  const claimed = { record: claimedRecord, version: claimedVersion };

  let deviceCode: string;
  try {
    deviceCode = await context.box.open(record.sealed, sealContext(context.tenant, provider.name));
  } catch {
    const refusal = await failSignIn(
      context,
      provider,
      claimed,
      400,
      `the ${provider.name} sign-in record does not decrypt here; nothing was saved. Start the connect again`,
      secrets,
    );
    return { state: 'failed', reason: refusal.message };
  }
  secrets.add(deviceCode);

  const plumbing = oauthPlumbing(provider.oauth, { ...provider.client, fetch: context.fetch });
  let tokens: oauth.TokenEndpointResponse;
  try {
    tokens = await pollDeviceCode(plumbing, deviceCode);
  } catch (error) {
    return pollFailed(context, provider, claimed, error, secrets, pending);
  }

  secrets.add(tokens.access_token, tokens.refresh_token);
  const credential = credentialFrom(tokens, record.scopes, context.clock.now());
  try {
    await storeSignedInCredential(context, provider, credential, claimed, secrets);
  } catch (error) {
    if (error instanceof ConnectRefusedError) return { state: 'failed', reason: error.message };
    throw error;
  }
  return { state: 'connected', status: await connectionOf(provider, secrets) };
}

/** What the vendor's refusal of a poll means for the sign-in. */
async function pollFailed(
  context: ConnectorContext,
  provider: RemoteProvider,
  claimed: { record: SignInRecord; version: number },
  error: unknown,
  secrets: ReturnType<typeof secretsOf>,
  pending: ConnectProgress,
): Promise<ConnectProgress> {
  const fields = { tenant: context.tenant, provider: provider.name, flow: 'device' };
  const vendor = vendorError(error);
  switch (vendor?.code) {
    case 'authorization_pending':
      context.logger.debug('remote sign-in still waiting for approval', fields);
      return pending;
    case 'slow_down': {
      // GitHub also says the new interval; never poll faster than either rule allows.
      const told = typeof vendor.body.interval === 'number' ? vendor.body.interval : 0;
      const intervalSeconds = Math.max(
        (claimed.record.intervalSeconds ?? DEFAULT_INTERVAL_S) + SLOW_DOWN_STEP_S,
        told,
      );
      await writeSignIn(
        context.store,
        context.tenant,
        provider.name,
        { ...claimed.record, intervalSeconds, nextPollAt: context.clock.now() + intervalSeconds * 1000 },
        claimed.version,
      );
      context.logger.debug('remote sign-in asked to slow down', { ...fields, intervalSeconds });
      return pending;
    }
    case 'expired_token':
      await writeSignIn(
        context.store,
        context.tenant,
        provider.name,
        { ...claimed.record, expiresAt: Math.min(claimed.record.expiresAt, context.clock.now()) },
        claimed.version,
      );
      context.logger.info('remote sign-in expired before it was approved', fields);
      return { state: 'expired' };
    case 'access_denied': {
      const refusal = await failSignIn(
        context,
        provider,
        claimed,
        400,
        `the ${provider.name} authorization was denied (access_denied); nothing was saved`,
        secrets,
      );
      return { state: 'failed', reason: refusal.message };
    }
    default: {
      const message = tokenRequestFailure(provider.oauth, error, secrets).message;
      if (!vendor) {
        // No answer (the vendor unreachable, a timeout): the device code is still good; the next poll retries.
        context.logger.warn('remote sign-in poll got no answer', { ...fields, reason: message });
        return pending;
      }
      const refusal = await failSignIn(context, provider, claimed, 502, message, secrets);
      return { state: 'failed', reason: refusal.message };
    }
  }
}

/** Another instance claimed this poll: report what the document says now, without asking the vendor. */
async function afterLostClaim(context: ConnectorContext, provider: RemoteProvider): Promise<ConnectProgress> {
  const now = await readSignIn(context.store, context.tenant, provider.name);
  return now?.record ? reportedProgress(context, provider, now.record) : { state: 'none' };
}
