import { redact } from '@software-factory/auth';
import { Command, Option } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.ts';
import { connectionRows, formatConnectionTable } from '../onboarding/connection-table.ts';
import { DEFAULT_CONFIG } from '../onboarding/fix-command.ts';
import { checkFleets } from '../onboarding/fleet-check.ts';
import { loadOnboardingConfig } from '../onboarding/load-onboarding-config.ts';
import { requirementLines, tenantNeeds } from '../onboarding/requirements.ts';
import { checkStateStore } from '../onboarding/store-check.ts';
import { runRemoteCheck } from '../remote/remote-check.ts';
import { addRemoteOptions, parseTenantId } from '../remote/remote-options.ts';

interface CheckOptions {
  config?: string;
  json?: boolean;
  remote?: URL;
  tenant?: string;
  tokenEnv?: string;
}

export function checkCommand(): Command {
  const command = new Command('check')
    .description(
      "check every declared provider of every tenant (connected, needs-auth, missing-scopes or error, and the command that fixes it) and its fleet (the local agent command and repository, or a remote fleet's endpoint); with --remote, the tenants of a deployed factory",
    )
    .addOption(
      new Option('-c, --config <file>', `the config file (default: ./${DEFAULT_CONFIG})`).conflicts('remote'),
    )
    .option('--json', 'print the result as JSON, for machines');
  return addRemoteOptions(
    command,
    'with --remote: the environment variable that holds the token (default: FACTORY_ADMIN_TOKEN when set, else FACTORY_OPERATOR_TOKEN)',
  )
    .option('-t, --tenant <id>', 'with --remote: the tenant to check (default: every tenant)', parseTenantId)
    .action(async (options: CheckOptions) => {
      if (options.remote) return runRemoteCheck({ ...options, remote: options.remote });
      if (options.tenant || options.tokenEnv)
        throw new CliError(
          `${options.tenant ? '--tenant' : '--token-env'} goes with --remote <url>; the local check covers every tenant of the config`,
          EXIT_USAGE,
        );
      await runCheck(options);
    });
}

/**
 * Exit 0 only when every provider is connected, every fleet can be used and nothing `factory start` needs
 * is missing (a fleet, a webhook secret, a channel: what it checks before it serves), 1 otherwise; a
 * config that cannot be loaded is 2.
 */
async function runCheck(options: CheckOptions): Promise<void> {
  const { config, tenants } = await loadOnboardingConfig(options.config, process.env);
  const [reports, fleetRows, storeRow] = await Promise.all([
    Promise.all(tenants.map(async (tenant) => ({ tenant: tenant.id, reports: await tenant.connections() }))),
    checkFleets(config, process.env),
    checkStateStore(config),
  ]);
  const secrets = [...config.secrets];
  const fleet = fleetRows.map((row) => (row.reason ? { ...row, reason: redact(row.reason, secrets) } : row));
  const rows = connectionRows(reports, options.config, config.secrets);
  const needs = tenantNeeds(config, tenants);
  const ok =
    rows.every((row) => row.state === 'connected') &&
    fleet.every((row) => row.ok) &&
    storeRow?.ok !== false &&
    needs.every((tenant) => tenant.needs.length === 0);
  if (options.json) {
    const missing = needs.flatMap(({ tenant, needs: list }) =>
      list.map((need) => ({ tenant, field: need.path.join('.'), what: need.what, fix: need.fix })),
    );
    process.stdout.write(
      `${JSON.stringify({ ok, providers: rows, fleet, ...(storeRow ? { store: storeRow } : {}), missing }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`${formatConnectionTable(rows, tenants.length > 1, fleet, storeRow)}\n`);
    const credentials = tenants[0]?.credentials;
    if (credentials?.unavailable && rows.some((row) => row.state === 'needs-auth'))
      process.stdout.write(`\nStored tokens: ${credentials.unavailable}.\n`);
    const lines = requirementLines(needs);
    if (lines.length > 0)
      process.stdout.write(`\n${['Before `factory start` takes work:', ...lines].join('\n')}\n`);
  }
  if (!ok) process.exitCode = EXIT_FAILURE;
}
