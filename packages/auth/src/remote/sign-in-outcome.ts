import {
  type ConnectionStatus,
  type ConnectProgress,
  ConnectRefusedError,
  type Credential,
  errorMessage,
} from '@software-factory/sdk';
import type { SecretSet } from '../redact.ts';
import { type ConnectorContext, secretsOf } from './connector-context.ts';
import type { RemoteProvider } from './remote-provider.ts';
import { type SignInRecord, writeSignIn } from './sign-in-record.ts';

/**
 * Marks the sign-in failed with `reason` (shown to the person; redacted here once more) and returns the
 * refusal to throw. A lost compare-and-set means a newer sign-in replaced this one: it is left alone.
 */
export async function failSignIn(
  context: ConnectorContext,
  provider: RemoteProvider,
  current: { record: SignInRecord; version: number },
  status: ConnectRefusedError['status'],
  reason: string,
  secrets: SecretSet,
): Promise<ConnectRefusedError> {
  const safe = secrets.text(reason);
  await writeSignIn(
    context.store,
    context.tenant,
    provider.name,
    { ...current.record, status: 'failed', reason: safe },
    current.version,
  );
  context.logger.warn('remote sign-in failed', {
    tenant: context.tenant,
    provider: provider.name,
    flow: current.record.flow,
    reason: safe,
  });
  return new ConnectRefusedError(status, safe);
}

/**
 * The vendor's token made into what the provider reads (`completeCredential`) and stored for the tenant,
 * then the sign-in marked connected. A refusal (502) when completing fails; nothing is stored then.
 */
export async function storeSignedInCredential(
  context: ConnectorContext,
  provider: RemoteProvider,
  received: Credential,
  current: { record: SignInRecord; version: number },
  secrets: SecretSet,
): Promise<void> {
  secrets.add(received.accessToken, received.refreshToken);
  let credential = received;
  if (provider.completeCredential) {
    try {
      credential = await provider.completeCredential(received, context.fetch);
    } catch (error) {
      const message = errorMessage(error);
      throw await failSignIn(
        context,
        provider,
        current,
        502,
        `completing the ${provider.name} sign-in failed (${message}); nothing was saved`,
        secrets,
      );
    }
    secrets.add(credential.accessToken, credential.refreshToken);
  }
  try {
    await context.credentials.put(context.tenant, provider.name, credential);
  } catch (error) {
    const message = secrets.text(errorMessage(error));
    await failSignIn(context, provider, current, 502, `storing the ${provider.name} token failed`, secrets);
    throw new Error(
      `storing the ${provider.name} token for tenant ${context.tenant} failed (${message}); sign in again`,
    );
  }
  const stored = await writeSignIn(
    context.store,
    context.tenant,
    provider.name,
    { ...current.record, status: 'connected' },
    current.version,
  );
  context.logger.info('remote sign-in connected', {
    tenant: context.tenant,
    provider: provider.name,
    flow: current.record.flow,
    scopes: credential.scopes,
    // A newer sign-in started meanwhile keeps its document; the token stored here is still valid.
    ...(stored === undefined ? { superseded: true } : {}),
  });
}

/** The provider's connection as it reads it; a failing check is reported, not thrown (the token is stored). */
export async function connectionOf(provider: RemoteProvider, secrets: SecretSet): Promise<ConnectionStatus> {
  try {
    return await provider.check();
  } catch (error) {
    return {
      state: 'error',
      message: secrets.text(`checking ${provider.name} failed: ${errorMessage(error)}`),
    };
  }
}

/**
 * Where a sign-in stands as its document says, without asking the vendor. A code exchange that outlived
 * the sign-in's expiry (the instance died mid-way) is reported expired rather than pending forever.
 */
export async function reportedProgress(
  context: ConnectorContext,
  provider: RemoteProvider,
  record: SignInRecord,
): Promise<ConnectProgress> {
  switch (record.status) {
    case 'failed':
      return { state: 'failed', reason: record.reason ?? `the ${provider.name} sign-in failed` };
    case 'connected':
      return { state: 'connected', status: await connectionOf(provider, secretsOf(provider)) };
    default:
      if (context.clock.now() >= record.expiresAt) return { state: 'expired' };
      return { state: 'pending', flow: record.flow, expiresAt: record.expiresAt };
  }
}
