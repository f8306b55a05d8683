import type { ConnectionReport, ConnectionStatus, ProviderRole } from '@software-factory/sdk';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.ts';
import { type ConnectionRow, connectionRows, formatConnectionTable } from '../onboarding/connection-table.ts';
import { AdminClient } from './admin-client.ts';
import type { RemoteConnection } from './admin-responses.ts';
import { ADMIN_TOKEN_ENV, OPERATOR_TOKEN_ENV, tenantToken } from './admin-token.ts';
import { remoteConnectCommand } from './remote-options.ts';
import { remoteText } from './remote-url.ts';

export interface RemoteCheckOptions {
  remote: URL;
  tenant?: string | undefined;
  tokenEnv?: string | undefined;
  json?: boolean | undefined;
}

/**
 * `factory check --remote <url>`: the connection table of one tenant (`--tenant`), or of every tenant the
 * operator token lists, as the deployed app sees it. Exit 0 only when every provider is connected.
 */
export async function runRemoteCheck(options: RemoteCheckOptions): Promise<void> {
  const token = tenantToken(process.env, options.tokenEnv);
  if (!options.tenant && !options.tokenEnv && token.variable === ADMIN_TOKEN_ENV)
    throw new CliError(
      `${ADMIN_TOKEN_ENV} is one tenant's admin token: pass --tenant <id>, or unset it to check every tenant with ${OPERATOR_TOKEN_ENV}`,
      EXIT_USAGE,
    );
  const client = new AdminClient({ base: options.remote, token });
  const ids = options.tenant ? [options.tenant] : (await client.listTenants()).map((tenant) => tenant.id);
  const tenants: { tenant: string; reports: ConnectionReport[] }[] = [];
  // One after the other: a deployment throttles, and a handful of tenants is quick either way.
  for (const id of ids) {
    const table = await client.connections(id);
    tenants.push({ tenant: id, reports: table.providers.map(toReport) });
  }
  const rows = connectionRows(tenants, undefined, [token.value]).map(
    (row): ConnectionRow =>
      row.fix ? { ...row, fix: remoteConnectCommand(row.provider, options.remote, row.tenant) } : row,
  );
  const ok = rows.every((row) => row.state === 'connected');
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ ok, remote: remoteText(options.remote), providers: rows }, null, 2)}\n`,
    );
  } else if (ids.length === 0) {
    process.stdout.write(
      `No tenants on ${options.remote.host} yet; add one with factory tenants add --remote ${remoteText(options.remote)} <file>.\n`,
    );
  } else {
    process.stdout.write(`${formatConnectionTable(rows, ids.length > 1)}\n`);
  }
  if (!ok) process.exitCode = EXIT_FAILURE;
}

/** One row of the admin API's table as the report the local check builds. */
function toReport(connection: RemoteConnection): ConnectionReport {
  // The role is only printed: a role a newer deployment names passes through as it is.
  return {
    provider: connection.provider,
    role: connection.role as ProviderRole,
    status: toStatus(connection),
  };
}

function toStatus(connection: RemoteConnection): ConnectionStatus {
  const identity = connection.identity === undefined ? {} : { identity: connection.identity };
  const granted = connection.grantedScopes === undefined ? {} : { grantedScopes: connection.grantedScopes };
  switch (connection.state) {
    case 'connected':
      return { state: 'connected', ...identity, ...granted };
    case 'missing-scopes':
      return { state: 'missing-scopes', missing: connection.missing ?? [], ...identity, ...granted };
    case 'needs-auth':
      return { state: 'needs-auth', reason: connection.reason ?? 'not signed in' };
    case 'error':
      return {
        state: 'error',
        message: connection.message ?? connection.reason ?? 'the deployment gave no detail',
      };
  }
}
