import type * as FactoryAuth from '@software-factory/auth';
import type { ConnectContext } from '@software-factory/auth';
import type { Connectable, ConnectionStatus, Fetch, Logger } from '@software-factory/sdk';
import { authorizationParametersOf, oauthProviderOf, signInEndpoints } from '../registry/oauth-endpoints.ts';
import type { ProviderConfig, ProviderOAuth } from '../registry/provider-entry.ts';

/** The OAuth app registered with the vendor, and where its endpoints are when they are not the vendor's. */
export interface OAuthAppOptions {
  clientId?: string;
  /** Linear and Slack need it to redeem a code; GitHub's device flow does not. */
  clientSecret?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  /** Loopback port of the browser redirect; fix it when the vendor matches redirect URIs exactly. */
  redirectPort?: number;
  /** How long the browser sign-in may take. */
  timeoutMs?: number;
  /** For the token requests only: a retried code exchange would spend a single-use code. */
  fetch?: Fetch;
  /** Waits between device-flow polls; injected in tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  logger?: Logger;
  /**
   * The provider's parsed config, for a vendor whose endpoints depend on it (a self-managed GitLab) or
   * whose token is completed from it (the Jira site picked after consent).
   */
  providerConfig?: ProviderConfig;
}

/**
 * Loaded only when a connect runs: the browser flow listens on a loopback port (node:http), which a Worker
 * or Lambda bundle has no use for. The specifier is a variable so that bundlers do not follow it.
 */
const FACTORY_AUTH = '@software-factory/auth';
function loadAuth(): Promise<typeof FactoryAuth> {
  return import(FACTORY_AUTH);
}

/**
 * Connects one provider: through the store's own session when it has one (relayfile), otherwise through
 * the vendor's OAuth as its registry entry describes it (`spec`: the browser with PKCE, or the device
 * grant), asking for
 * `context.scopes`, or else for what fixes the current status (held plus missing scopes), and the spec's
 * `additionalScopes`. The endpoints are the spec's for `app.providerConfig` unless the app names others;
 * the spec's `completeCredential` finishes the token (the Jira site). The credential is stored under
 * (tenant, provider name) and the connection checked again, so the answer is what the factory will see.
 * Nothing is stored when the flow or its completion fails.
 *
 * `target` is what a sign-in needs to know of the provider: its config name (the credential's key), the
 * scopes it requires, and how to check the connection afterwards (a role port is one; it has no sign-in
 * of its own).
 */
export async function connectWithOAuth(
  target: Connectable,
  context: ConnectContext,
  spec: ProviderOAuth,
  app: OAuthAppOptions | undefined,
): Promise<ConnectionStatus> {
  const auth = await loadAuth();
  if (auth.holdsConnectSessions(context.credentials)) {
    await context.credentials.connect(context.tenant, target.provider, context);
    return target.checkConnection();
  }
  if (!app?.clientId) {
    throw new Error(
      `cannot connect ${target.provider}: no OAuth client id; register an OAuth app with ${spec.vendor} and give its client id`,
    );
  }
  const config = app.providerConfig;
  if (spec.completeCredential && !config)
    throw new Error(
      `cannot connect ${target.provider}: the ${spec.vendor} sign-in is finished from the provider's config, which was not given`,
    );
  let scopes = context.scopes ? [...context.scopes] : undefined;
  if (!scopes) {
    const request = auth.scopesToRequest(
      target.requiredScopes,
      await target.checkConnection(),
      target.provider,
    );
    if (request.missing.length > 0) context.print(request.explanation);
    scopes = request.scopes;
  }
  scopes = [...new Set([...scopes, ...(spec.additionalScopes ?? [])])];
  // The vendor's endpoints for this config, unless the app names others (a self-hosted vendor, tests).
  const provider = oauthProviderOf(
    target.provider,
    spec,
    signInEndpoints(spec, config, {
      ...(app.authorizationEndpoint ? { authorizationEndpoint: app.authorizationEndpoint } : {}),
      ...(app.tokenEndpoint ? { tokenEndpoint: app.tokenEndpoint } : {}),
      ...(app.deviceAuthorizationEndpoint
        ? { deviceAuthorizationEndpoint: app.deviceAuthorizationEndpoint }
        : {}),
    }),
    target.requiredScopes,
  );
  const parameters = authorizationParametersOf(spec, config);
  const common = {
    clientId: app.clientId,
    ...(app.clientSecret ? { clientSecret: app.clientSecret } : {}),
    ...(app.fetch ? { fetch: app.fetch } : {}),
    ...(app.logger ? { logger: app.logger } : {}),
    context,
    scopes,
  };
  const credential =
    spec.flow === 'device'
      ? await auth.authorizeWithDeviceCode({
          ...common,
          provider,
          ...(app.sleep ? { sleep: app.sleep } : {}),
        })
      : await auth.authorizeWithPkce({
          ...common,
          provider,
          ...(app.redirectPort !== undefined ? { port: app.redirectPort } : {}),
          ...(app.timeoutMs !== undefined ? { timeoutMs: app.timeoutMs } : {}),
          ...(parameters ? { authorizationParameters: parameters } : {}),
        });
  const completed =
    spec.completeCredential && config
      ? await spec.completeCredential(credential, {
          config,
          fetch: app.fetch ?? ((input, init) => fetch(input, init)),
        })
      : credential;
  await context.credentials.put(context.tenant, target.provider, completed);
  return target.checkConnection();
}
