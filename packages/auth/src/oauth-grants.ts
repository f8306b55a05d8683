import * as oauth from 'oauth4webapi';
import type { OAuthPlumbing } from './oauth-client.ts';

// Each grant is one request and the check of its response over the same plumbing; the flows in a
// terminal and in the deployed app differ only in what they do around it.

/** Asks for a device code and the user code to show (RFC 8628 §3.1). */
export async function requestDeviceAuthorization(
  plumbing: OAuthPlumbing,
  scope: string,
): Promise<oauth.DeviceAuthorizationResponse> {
  const response = await oauth.deviceAuthorizationRequest(
    plumbing.server,
    plumbing.client,
    plumbing.clientAuth,
    { scope },
    plumbing.requestOptions,
  );
  return oauth.processDeviceAuthorizationResponse(plumbing.server, plumbing.client, response);
}

/** One poll for the device code's token; throws the vendor's answer (`authorization_pending`, `slow_down`, …). */
export async function pollDeviceCode(
  plumbing: OAuthPlumbing,
  deviceCode: string,
): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.deviceCodeGrantRequest(
    plumbing.server,
    plumbing.client,
    plumbing.clientAuth,
    deviceCode,
    plumbing.requestOptions,
  );
  return oauth.processDeviceCodeResponse(
    plumbing.server,
    plumbing.client,
    response,
    plumbing.responseOptions,
  );
}

/** Redeems the code the browser came back with, proving the sign-in started here with the PKCE verifier. */
export async function redeemAuthorizationCode(
  plumbing: OAuthPlumbing,
  callback: URLSearchParams,
  redirectUri: string,
  verifier: string,
): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.authorizationCodeGrantRequest(
    plumbing.server,
    plumbing.client,
    plumbing.clientAuth,
    callback,
    redirectUri,
    verifier,
    plumbing.requestOptions,
  );
  return oauth.processAuthorizationCodeResponse(
    plumbing.server,
    plumbing.client,
    response,
    plumbing.responseOptions,
  );
}

/** Trades a refresh token for a fresh access token (and, at some vendors, a new refresh token). */
export async function refreshTokens(
  plumbing: OAuthPlumbing,
  refreshToken: string,
): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.refreshTokenGrantRequest(
    plumbing.server,
    plumbing.client,
    plumbing.clientAuth,
    refreshToken,
    plumbing.requestOptions,
  );
  return oauth.processRefreshTokenResponse(
    plumbing.server,
    plumbing.client,
    response,
    plumbing.responseOptions,
  );
}
