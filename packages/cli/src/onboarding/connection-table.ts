import { redact } from '@software-factory/auth';
import type { ConnectionReport, ConnectionState } from '@software-factory/sdk';
import { connectCommand } from './fix-command.ts';
import type { FleetRow } from './fleet-check.ts';
import type { StoreRow } from './store-check.ts';

/** One tenant's connection reports, as `factory check` prints them. */
export interface TenantConnections {
  tenant: string;
  reports: readonly ConnectionReport[];
}

/** One row of the table, and one entry of `--json`. */
export interface ConnectionRow {
  tenant: string;
  provider: string;
  role: string;
  state: ConnectionState;
  /** Who the token belongs to (connected, missing-scopes). */
  identity?: string;
  missingScopes?: string[];
  /** Why it is not connected (needs-auth, error). */
  reason?: string;
  /** The command that fixes it; absent when connected, or when connecting again would not help. */
  fix?: string;
}

/**
 * Rows for every provider of every tenant. Every text that came from a provider passes through `redact`
 * with the config's secrets: a vendor that echoes a token in an error must not get it printed.
 */
export function connectionRows(
  tenants: readonly TenantConnections[],
  config: string | undefined,
  secrets: Iterable<string>,
): ConnectionRow[] {
  const known = [...secrets];
  const several = tenants.length > 1;
  const clean = (text: string) => redact(text, known);
  return tenants.flatMap(({ tenant, reports }) =>
    reports.map((report): ConnectionRow => {
      const { status } = report;
      const row: ConnectionRow = {
        tenant,
        provider: report.provider,
        role: report.role,
        state: status.state,
      };
      const fix = connectCommand(report.provider, { config, ...(several ? { tenant } : {}) });
      switch (status.state) {
        case 'connected':
          if (status.identity) row.identity = clean(status.identity);
          break;
        case 'missing-scopes':
          if (status.identity) row.identity = clean(status.identity);
          row.missingScopes = [...status.missing];
          row.fix = fix;
          break;
        case 'needs-auth':
          row.reason = clean(status.reason);
          row.fix = fix;
          break;
        case 'error':
          row.reason = clean(status.message);
          break;
      }
      return row;
    }),
  );
}

const MARK: Record<ConnectionState, string> = {
  connected: '✓ connected',
  'needs-auth': '✗ needs-auth',
  'missing-scopes': '✗ missing-scopes',
  error: '✗ error',
};

/** A fleet row's status: the local checks are ok or failed; a remote endpoint is reachable or not. */
function fleetMark(row: FleetRow): string {
  if (row.check === 'endpoint') return row.ok ? '✓ reachable' : '✗ unreachable';
  return row.ok ? '✓ ok' : '✗ failed';
}

/**
 * A plain-text table: provider, role, status, missing scopes, the fix; the fleet's checks as rows of the
 * same table (`local fleet`, `agent command`); then the details under it.
 */
export function formatConnectionTable(
  rows: readonly ConnectionRow[],
  showTenant: boolean,
  fleet: readonly FleetRow[] = [],
  store?: StoreRow,
): string {
  const header = [...(showTenant ? ['TENANT'] : []), 'PROVIDER', 'ROLE', 'STATUS', 'MISSING SCOPES', 'FIX'];
  const body = [
    ...rows.map((row) => [
      ...(showTenant ? [row.tenant] : []),
      row.provider,
      row.role,
      MARK[row.state],
      row.missingScopes?.join(', ') ?? '',
      row.fix ?? (row.state === 'error' ? 'see below' : ''),
    ]),
    ...fleet.map((row) => [
      ...(showTenant ? [row.tenant] : []),
      `${row.fleet} fleet`,
      row.check,
      fleetMark(row),
      '',
      row.fix ?? '',
    ]),
    ...(store
      ? [
          [
            ...(showTenant ? [''] : []),
            store.type,
            'state store',
            store.ok ? '✓ reachable' : '✗ unreachable',
            '',
            store.ok ? '' : 'see below',
          ],
        ]
      : []),
  ];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const details = [
    ...rows.flatMap((row) => {
      const who = showTenant ? `${row.tenant}/${row.provider}` : row.provider;
      if (row.reason) return [`${who}: ${row.reason}`];
      if (row.identity) return [`${who}: ${row.identity}`];
      return [];
    }),
    ...fleet.flatMap((row) => {
      // The reason names what it is about (the agent command, the repository, the host).
      const who = `${showTenant ? `${row.tenant}/` : ''}${row.fleet} fleet`;
      return row.reason ? [`${who}: ${row.reason}`] : [];
    }),
    ...(store ? [`state store: ${store.ok ? store.detail : store.reason}`] : []),
  ];
  return [line(header), ...body.map(line), ...(details.length > 0 ? ['', ...details] : [])].join('\n');
}
