import type { ConnectionStatus } from '@software-factory/sdk';
import { missingScopes } from '@software-factory/sdk';

export interface ScopeRequest {
  /** What to request when connecting again: everything held plus everything missing. */
  scopes: string[];
  /** Required scopes the connection lacks. */
  missing: string[];
  /** One line for a person: what is missing and what connecting again will ask for. */
  explanation: string;
}

/**
 * The scopes to request so that connecting again fixes a connection. Vendors replace the grant with
 * what the new consent asks for, so asking only for the missing scopes would drop the ones held:
 * the request is the union, held scopes first, in a stable order.
 */
export function scopesToRequest(
  required: readonly string[],
  status: ConnectionStatus,
  provider = 'the provider',
): ScopeRequest {
  const known =
    status.state === 'connected' || status.state === 'missing-scopes' ? status.grantedScopes : undefined;
  // When the vendor did not report the grant, only what `checkConnection` named is known to be missing.
  const fromGrant = known ? missingScopes(required, known) : [];
  const held = known ?? [];
  const missing = unique(status.state === 'missing-scopes' ? [...status.missing, ...fromGrant] : fromGrant);
  const scopes = unique([...held, ...required, ...missing]);

  if (status.state === 'needs-auth' || status.state === 'error') {
    return {
      scopes,
      missing: [...required],
      explanation: `${provider} is not connected; connecting will request ${list(scopes)}`,
    };
  }
  if (missing.length === 0) {
    return {
      scopes,
      missing,
      explanation: `${provider} already holds every required scope (${list(required)})`,
    };
  }
  const keeping = held.length > 0 ? `, keeping ${list(held)}` : '';
  return {
    scopes,
    missing,
    explanation: `${provider} lacks ${list(missing)}; connect again to grant ${list(missing)}${keeping} (requesting ${list(scopes)})`,
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function list(values: readonly string[]): string {
  return values.length > 0 ? values.join(', ') : 'no scopes';
}
