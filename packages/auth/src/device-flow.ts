import type { Credential, Logger } from '@software-factory/sdk';
import { silentLogger } from '@software-factory/sdk';
import type * as oauth from 'oauth4webapi';
import { AuthFlowError } from './auth-error.ts';
import { clientOptionsOf, clientOptionsSchema } from './client-options.ts';
import type { ConnectPrompt } from './connect-context.ts';
import { tokenRequestFailure } from './flow-failures.ts';
import { formatWait } from './network-failure.ts';
import { type OAuthClientOptions, oauthPlumbing, receivedCredential, vendorError } from './oauth-client.ts';
import { pollDeviceCode, requestDeviceAuthorization } from './oauth-grants.ts';
import type { OAuthProvider } from './oauth-providers.ts';
import { parseOptions } from './parse-options.ts';
import { SecretSet } from './redact.ts';
import { realSleep, type Sleep } from './sleep.ts';

export interface DeviceCodeOptions extends OAuthClientOptions {
  provider: OAuthProvider;
  context: ConnectPrompt;
  /** Exactly these scopes are requested; default `context.scopes`, then the provider's `defaultScopes`. */
  scopes?: readonly string[];
  /** Waits between polls; injected in tests. */
  sleep?: Sleep;
  logger?: Logger;
  now?: () => number;
}

/** RFC 8628 §3.5: without an `interval` the client waits five seconds, and `slow_down` adds five more. */
const DEFAULT_INTERVAL_S = 5;
const SLOW_DOWN_STEP_S = 5;

/**
 * The OAuth 2 device authorization grant (RFC 8628): get a device code, show the verification URL and
 * the user code, then poll the token endpoint at the pace the server sets until the user approves,
 * refuses, or the code expires. For terminals and machines where no browser can come back to us.
 */
export async function authorizeWithDeviceCode(options: DeviceCodeOptions): Promise<Credential> {
  const { provider, context } = options;
  const parsed = parseOptions(
    clientOptionsSchema,
    clientOptionsOf(options),
    `${provider.name} device authorization`,
  );
  if (!provider.deviceAuthorizationEndpoint) {
    throw new Error(`${provider.name} has no device authorization endpoint; use its browser sign-in instead`);
  }
  const scopes = [...(parsed.scopes ?? context.scopes ?? provider.defaultScopes)];
  const sleep = options.sleep ?? realSleep;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const secrets = new SecretSet();
  secrets.add(options.clientSecret);
  const print = secrets.printer((message) => context.print(message));
  const plumbing = oauthPlumbing(provider, options, context.signal);

  let authorization: oauth.DeviceAuthorizationResponse;
  try {
    authorization = await requestDeviceAuthorization(plumbing, scopes.join(provider.scopeSeparator));
  } catch (error) {
    throw tokenRequestFailure(provider, error, secrets);
  }
  // The device code is the bearer of this grant; the user code is meant to be shown.
  secrets.add(authorization.device_code);

  print(
    `To connect ${provider.name}, open ${authorization.verification_uri} and enter the code ${authorization.user_code} (scopes: ${scopes.join(', ')}).`,
  );
  print(
    `Waiting up to ${formatWait(authorization.expires_in * 1000)} for the code to be entered (it expires then); Ctrl-C cancels (nothing is saved).`,
  );
  logger.info('device authorization started', { provider: provider.name, scopes });
  Promise.resolve()
    .then(() => context.openUrl(authorization.verification_uri_complete ?? authorization.verification_uri))
    .catch(() => {
      print(`Could not open a browser; open ${authorization.verification_uri} yourself.`);
    });

  let intervalS = authorization.interval ?? DEFAULT_INTERVAL_S;
  let waitedS = 0;
  for (;;) {
    if (waitedS >= authorization.expires_in) throw expired(provider);
    try {
      await sleep(intervalS * 1000, context.signal);
    } catch {
      throw new AuthFlowError(
        provider.name,
        'aborted',
        `connecting ${provider.name} was cancelled; nothing was saved`,
      );
    }
    waitedS += intervalS;

    try {
      const tokens = await pollDeviceCode(plumbing, authorization.device_code);
      return receivedCredential(tokens, scopes, { provider, secrets, logger, print, now: now() });
    } catch (error) {
      const vendor = vendorError(error);
      switch (vendor?.code) {
        case 'authorization_pending':
          continue;
        case 'slow_down': {
          // GitHub also says the new interval; never poll faster than either rule allows.
          const told = typeof vendor.body.interval === 'number' ? vendor.body.interval : 0;
          intervalS = Math.max(intervalS + SLOW_DOWN_STEP_S, told);
          logger.debug('device authorization asked to slow down', { provider: provider.name, intervalS });
          continue;
        }
        case 'access_denied':
          throw new AuthFlowError(
            provider.name,
            'access-denied',
            `the ${provider.name} authorization was denied (access_denied); nothing was saved. Run the connect again and approve the scopes ${scopes.join(', ')}`,
          );
        case 'expired_token':
          throw expired(provider);
        default:
          throw tokenRequestFailure(provider, error, secrets);
      }
    }
  }
}

function expired(provider: OAuthProvider): AuthFlowError {
  return new AuthFlowError(
    provider.name,
    'expired',
    `the ${provider.name} device code expired before it was approved (expired_token); nothing was saved. Run the connect again and enter the new code`,
  );
}
