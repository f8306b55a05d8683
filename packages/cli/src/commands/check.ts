import { Command } from 'commander';
import { EXIT_FAILURE } from '../cli-error.ts';
import { connectionRows, formatConnectionTable } from '../onboarding/connection-table.ts';
import { DEFAULT_CONFIG } from '../onboarding/fix-command.ts';
import { loadOnboardingConfig } from '../onboarding/load-onboarding-config.ts';

interface CheckOptions {
  config?: string;
  json?: boolean;
}

export function checkCommand(): Command {
  return new Command('check')
    .description(
      'check every declared provider of every tenant: connected, needs-auth, missing-scopes or error, and the command that fixes it',
    )
    .option('-c, --config <file>', `the config file (default: ./${DEFAULT_CONFIG})`)
    .option('--json', 'print the result as JSON, for machines')
    .action(async (options: CheckOptions) => {
      await runCheck(options);
    });
}

/** Exit 0 only when every provider is connected, 1 otherwise; a config that cannot be loaded is 2. */
async function runCheck(options: CheckOptions): Promise<void> {
  const { config, tenants } = await loadOnboardingConfig(options.config, process.env);
  const reports = await Promise.all(
    tenants.map(async (tenant) => ({ tenant: tenant.id, reports: await tenant.connections() })),
  );
  const rows = connectionRows(reports, options.config, config.secrets);
  const ok = rows.every((row) => row.state === 'connected');
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok, providers: rows }, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatConnectionTable(rows, tenants.length > 1)}\n`);
    const credentials = tenants[0]?.credentials;
    if (!ok && credentials?.unavailable && rows.some((row) => row.state === 'needs-auth'))
      process.stdout.write(`\nStored tokens: ${credentials.unavailable}.\n`);
  }
  if (!ok) process.exitCode = EXIT_FAILURE;
}
