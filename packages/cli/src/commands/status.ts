import { tenantStatus } from '@software-factory/sdk';
import { Command } from 'commander';
import { type OperatorOptions, withOperatorRuntime } from '../operator/operator-runtime.ts';
import { renderTenantStatus } from '../operator/status-text.ts';

interface StatusOptions extends OperatorOptions {
  json?: boolean;
}

export function statusCommand(): Command {
  return new Command('status')
    .description('what every tenant is doing: in flight, queued, waiting, blocked, recent done and failed')
    .option('-c, --config <file>', 'the config file (default: ./factory.config.yaml)')
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print JSON for machines instead of the table')
    .action(async (options: StatusOptions) => {
      // Reads the store only; safe beside a running `factory start` (SQLite in WAL mode).
      const statuses = await withOperatorRuntime(options, (runtime) =>
        Promise.all(
          runtime.tenants
            .filter((tenant) => options.tenant === undefined || tenant.runtime.id === options.tenant)
            .map(async (tenant) =>
              tenantStatus(runtime.store, tenant.runtime.id, await tenant.runtime.connections(), Date.now()),
            ),
        ),
      );
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ tenants: statuses }, null, 2)}\n`
          : statuses.map(renderTenantStatus).join('\n'),
      );
    });
}
