/** Parameters the authorization code flow sets itself; overriding them would break PKCE or the state check. */
const RESERVED_PARAMETERS = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
]);

/** The names among a provider's or caller's authorization URL extras that the flow must set itself. */
export function reservedParameters(extras: Readonly<Record<string, string>> | undefined): string[] {
  return Object.keys(extras ?? {}).filter((key) => RESERVED_PARAMETERS.has(key));
}
