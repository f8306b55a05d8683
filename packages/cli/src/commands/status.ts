import { tenantStatus } from '@software-factory/sdk';
import { Command } from 'commander';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import { NodeRuntime } from '../node-runtime.ts';
import { renderTenantStatus } from '../operator/status-text.ts';
import { processLogger } from '../process-logger.ts';
import {
  configOption,
  existingLocalSetup,
  mountOption,
  type RunConfigOptions,
  runConfig,
} from './run-config.ts';

interface StatusOptions extends RunConfigOptions {
  tenant?: string;
  json?: boolean;
}

export function statusCommand(): Command {
  return new Command('status')
    .description('what every tenant is doing: in flight, queued, waiting, blocked, recent done and failed')
    .addOption(configOption())
    .addOption(mountOption())
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print JSON for machines instead of the table')
    .action(async (options: StatusOptions) => {
      // Reads the store only; safe beside a running `factory start` (SQLite in WAL mode).
      const runtime = await statusRuntime(options);
      let statuses: Awaited<ReturnType<typeof tenantStatus>>[];
      try {
        statuses = await Promise.all(
          runtime.tenants
            .filter((tenant) => options.tenant === undefined || tenant.runtime.id === options.tenant)
            .map(async (tenant) =>
              tenantStatus(runtime.store, tenant.runtime.id, await tenant.runtime.connections(), Date.now()),
            ),
        );
      } finally {
        await runtime.stop();
      }
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ tenants: statuses }, null, 2)}\n`
          : statuses.map(renderTenantStatus).join('\n'),
      );
    });
}

/**
 * The factory `factory start` runs with the same --config and --mount, built but not started: no
 * listener, timer or folder feed. Warnings go to stderr as JSON lines, so stdout holds only the answer.
 */
async function statusRuntime(options: StatusOptions): Promise<NodeRuntime> {
  const config = await runConfig(options, existingLocalSetup);
  if (options.tenant !== undefined && !config.tenants.some((tenant) => tenant.id === options.tenant))
    throw new CliError(
      `--tenant ${options.tenant}: no such tenant in ${config.source} (it has ${config.tenants.map((tenant) => tenant.id).join(', ')})`,
      EXIT_USAGE,
    );
  const logger = processLogger({ level: 'warn', secrets: config.secrets, stream: 'stderr' });
  return await NodeRuntime.open(config, { logger });
}
