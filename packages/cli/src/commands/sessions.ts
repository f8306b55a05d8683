import { existsSync } from 'node:fs';
import { revokeAllSessions } from '@software-factory/sdk';
import { Command } from 'commander';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import { loadConfig } from '../config/load-config.ts';
import { DEFAULT_CONFIG } from '../operator/operator-runtime.ts';
import { openStateStore } from '../state-store-from-config.ts';

interface RevokeOptions {
  config?: string;
  tenant: string;
}

/** `factory sessions revoke --tenant <id>`: ends every dashboard session of a tenant. */
export function sessionsCommand(): Command {
  const sessions = new Command('sessions').description("the dashboard's sign-in sessions");
  sessions.addCommand(
    new Command('revoke')
      .description(
        'end every dashboard session of a tenant, on every instance (its users sign in again with the admin token)',
      )
      .requiredOption('--tenant <id>', 'the tenant whose sessions end')
      .option('-c, --config <file>', `the config file (default: ./${DEFAULT_CONFIG})`)
      .action(async (options: RevokeOptions) => {
        const file = options.config ?? DEFAULT_CONFIG;
        if (!options.config && !existsSync(DEFAULT_CONFIG))
          throw new CliError(`no ${DEFAULT_CONFIG} here; pass --config <file>`, EXIT_USAGE);
        const config = await loadConfig(file, process.env);
        const ids = config.tenants.map((tenant) => tenant.id);
        if (!ids.includes(options.tenant))
          throw new CliError(
            `--tenant ${options.tenant}: no such tenant in ${file} (it has ${ids.join(', ')})`,
            EXIT_USAGE,
          );
        if (config.stateStore.type === 'memory')
          throw new CliError(
            'stateStore is memory: sessions live in the running process only; restart it to end them',
            EXIT_USAGE,
          );
        // Safe beside a running `factory start`: one compare-and-set on the shared store.
        const { store, close } = await openStateStore(config.stateStore);
        try {
          const epoch = await revokeAllSessions(store, options.tenant);
          process.stdout.write(
            `ended every dashboard session of tenant ${options.tenant} (session epoch ${epoch})\n`,
          );
        } finally {
          await close();
        }
      }),
  );
  return sessions;
}
