import type { ConnectionReport } from '@software-factory/sdk';

/** `factory start` exits with this code while a declared provider needs `factory connect`. */
export const EXIT_UNCONNECTED = 3;

export interface TenantConnections {
  tenant: string;
  reports: readonly ConnectionReport[];
}

/**
 * One line per provider that must be connected before the factory may take work, naming the command
 * that fixes it. `--tenant` is named only when the config has several, `--config` only when it is not
 * the default file.
 */
export function unconnectedProviderLines(
  tenants: readonly TenantConnections[],
  options: { configFile?: string | undefined } = {},
): string[] {
  const lines: string[] = [];
  for (const { tenant, reports } of tenants) {
    for (const report of reports) {
      const { status } = report;
      if (status.state !== 'needs-auth' && status.state !== 'missing-scopes') continue;
      const command = [
        'factory connect',
        report.provider,
        ...(tenants.length > 1 ? [`--tenant ${tenant}`] : []),
        ...(options.configFile ? [`--config ${options.configFile}`] : []),
      ].join(' ');
      const problem =
        status.state === 'missing-scopes'
          ? `is missing the scopes ${status.missing.join(', ')}`
          : `needs authorisation (${status.reason})`;
      lines.push(`tenant ${tenant}: ${report.provider} (${report.role}) ${problem}; run \`${command}\``);
    }
  }
  return lines;
}
