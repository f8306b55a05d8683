import {
  type Clock,
  type ConnectionStatus,
  type ConnectProgress,
  ConnectRefusedError,
  type ConnectStart,
  type CredentialStore,
  type Logger,
  type RemoteConnector,
  type SealedBox,
  type StateStore,
  silentLogger,
  systemClock,
} from '@software-factory/sdk';
import { reservedParameters } from '../reserved-parameters.ts';
import { scopesToRequest } from '../scope-diff.ts';
import type { Fetch } from '../vendor-token-responses.ts';
import { finishCodeSignIn, startCodeSignIn } from './code-sign-in.ts';
import { type ConnectorContext, secretsOf } from './connector-context.ts';
import { pollDeviceSignIn, startDeviceSignIn } from './device-sign-in.ts';
import type { RemoteProvider } from './remote-provider.ts';
import { connectionOf, reportedProgress } from './sign-in-outcome.ts';
import { readSignIn } from './sign-in-record.ts';

export interface RemoteConnectorOptions {
  tenant: string;
  /** Where each provider's pending sign-in is kept (one tenant document per provider). */
  store: StateStore;
  /** Seals the PKCE verifier and the device code in that document, bound to tenant and provider. */
  box: SealedBox;
  /** Where the token lands; the tenant's providers read it from there. */
  credentials: CredentialStore;
  providers: readonly RemoteProvider[];
  clock?: Clock;
  fetch?: Fetch;
  logger?: Logger;
  /** How long a sign-in may take from start to callback. Default ten minutes. */
  ttlMs?: number;
}

const DEFAULT_TTL_MS = 10 * 60_000;

/** A scope as a vendor spells it; a separator inside one would smuggle in another. */
const SCOPE = /^[\x21-\x7e]{1,200}$/;
const MAX_SCOPES = 100;

/**
 * The deployed app's side of `factory connect --remote` for one tenant: it starts each provider's
 * sign-in, takes the vendor's redirect (or polls the device grant) and stores the token, encrypted,
 * where the tenant's providers read it. Nothing secret leaves it: not in a response, a log line or an error.
 */
export function createRemoteConnector(options: RemoteConnectorOptions): RemoteConnector {
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  if (typeof options.tenant !== 'string' || options.tenant.length === 0) {
    throw new Error('invalid remote connector options: tenant is required');
  }
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new Error('invalid remote connector options: ttlMs must be a positive number of milliseconds');
  }
  const providers = new Map<string, RemoteProvider>();
  for (const provider of options.providers) {
    checkProvider(provider);
    if (providers.has(provider.name)) {
      throw new Error(`invalid remote connector options: provider ${provider.name} is listed twice`);
    }
    providers.set(provider.name, provider);
  }
  const fetchImpl = options.fetch;
  const context: ConnectorContext = {
    tenant: options.tenant,
    store: options.store,
    box: options.box,
    credentials: options.credentials,
    clock: options.clock ?? systemClock,
    // Bound: a Worker refuses `fetch` called as a method of another object.
    fetch: fetchImpl ?? ((input, init) => fetch(input, init)),
    logger: options.logger ?? silentLogger,
    ttlMs,
  };

  const providerNamed = (name: string): RemoteProvider => {
    const provider = providers.get(name);
    if (!provider) {
      throw new ConnectRefusedError(
        404,
        `${name} is not a provider of tenant ${context.tenant} that can be connected remotely`,
      );
    }
    return provider;
  };

  return {
    providers: () => [...providers.keys()],

    async begin(name, { redirectUri, scopes }): Promise<ConnectStart> {
      const provider = providerNamed(name);
      const requested = scopes
        ? checkedScopes(scopes)
        : scopesToRequest(
            provider.requiredScopes,
            await connectionOf(provider, secretsOf(provider)),
            provider.name,
          ).scopes;
      if (provider.flow === 'device') return startDeviceSignIn(context, provider, requested);
      return startCodeSignIn(context, provider, requested, checkedRedirectUri(redirectUri));
    },

    async callback(name, url): Promise<ConnectionStatus> {
      return finishCodeSignIn(context, providerNamed(name), url);
    },

    async progress(name): Promise<ConnectProgress> {
      const provider = providerNamed(name);
      const stored = await readSignIn(context.store, context.tenant, provider.name);
      if (!stored?.record) return { state: 'none' };
      const { record } = stored;
      const now = context.clock.now();
      if (
        record.flow === 'device' &&
        record.status === 'pending' &&
        now < record.expiresAt &&
        now >= (record.nextPollAt ?? 0)
      ) {
        return pollDeviceSignIn(context, provider, { record, version: stored.version });
      }
      return reportedProgress(context, provider, record);
    },
  };
}

/** A provider that cannot work is a deployment mistake, reported when the connector is made. */
function checkProvider(provider: RemoteProvider): void {
  const problem = (text: string) => new Error(`invalid remote provider ${provider.name}: ${text}`);
  if (typeof provider.name !== 'string' || provider.name.length === 0) {
    throw new Error('invalid remote provider: name is required');
  }
  if (!provider.client.clientId) throw problem('client.clientId is required');
  if (provider.flow === 'authorization-code' && !provider.oauth.authorizationEndpoint) {
    throw problem('the authorization code flow needs an authorization endpoint');
  }
  if (provider.flow === 'device' && !provider.oauth.deviceAuthorizationEndpoint) {
    throw problem('the device flow needs a device authorization endpoint');
  }
  const reserved = reservedParameters(provider.authorizationParameters);
  if (reserved.length > 0) throw problem(`${reserved.join(', ')} cannot be overridden`);
}

function checkedScopes(scopes: readonly string[]): string[] {
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    scopes.length > MAX_SCOPES ||
    !scopes.every((scope) => typeof scope === 'string' && SCOPE.test(scope) && !scope.includes(','))
  ) {
    throw new ConnectRefusedError(
      400,
      `scopes must be 1 to ${MAX_SCOPES} scope names without spaces or commas`,
    );
  }
  return [...new Set(scopes)];
}

/** The app's own callback URL; the vendor compares it with the one registered, the exchange repeats it. */
function checkedRedirectUri(redirectUri: string): string {
  let url: URL | undefined;
  try {
    url = new URL(redirectUri);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username ||
    url.password ||
    url.hash
  ) {
    throw new ConnectRefusedError(400, 'redirectUri must be an absolute http(s) URL without a fragment');
  }
  return url.href;
}
