import type { ConnectionReport, ProviderRole } from '../ports/connection.ts';

/** A declared provider that keeps its tenant from processing work until it is signed in again. */
export interface UnconnectedProvider {
  provider: string;
  role: ProviderRole;
  state: 'needs-auth' | 'missing-scopes';
  /** The scopes it lacks, when it lacks some. */
  missing?: string[];
}

/**
 * The providers that keep a tenant from processing work; none when it may. Data, not a sentence: the
 * fix depends on where the reader is (the CLI names `factory connect`, with `--remote` for a deployment),
 * so each reader words it, and an HTTP answer names no command.
 */
export function unconnectedProviders(reports: readonly ConnectionReport[]): UnconnectedProvider[] {
  const unconnected: UnconnectedProvider[] = [];
  for (const { provider, role, status } of reports) {
    if (status.state === 'needs-auth') unconnected.push({ provider, role, state: status.state });
    if (status.state === 'missing-scopes')
      unconnected.push({ provider, role, state: status.state, missing: [...status.missing] });
  }
  return unconnected;
}

/** One line for logs and HTTP answers: `linear (intake) needs authorisation; github (output) is missing scopes repo`. */
export function describeUnconnected(unconnected: readonly UnconnectedProvider[]): string {
  return unconnected
    .map(({ provider, role, state, missing }) =>
      state === 'missing-scopes'
        ? `${provider} (${role}) is missing scopes ${(missing ?? []).join(', ')}`
        : `${provider} (${role}) needs authorisation`,
    )
    .join('; ');
}
