import { existsSync } from 'node:fs';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import type { FactoryConfig } from '../config/config-schema.ts';
import { loadConfig } from '../config/load-config.ts';
import { NodeRuntime } from '../node-runtime.ts';
import { processLogger } from '../process-logger.ts';
import type { NodeTenant } from '../tenant-from-config.ts';

export const DEFAULT_CONFIG = 'factory.config.yaml';

export interface OperatorOptions {
  config?: string;
  tenant?: string;
}

/**
 * The configured factory, built but not started, for a command that acts once and exits: no listener,
 * no timer, no folder feed. Warnings go to stderr as JSON lines, so stdout holds only the answer.
 */
export async function openOperatorRuntime(options: OperatorOptions): Promise<NodeRuntime> {
  const file = options.config ?? DEFAULT_CONFIG;
  if (!options.config && !existsSync(DEFAULT_CONFIG))
    throw new CliError(`no ${DEFAULT_CONFIG} here; pass --config <file>`, EXIT_USAGE);
  const config: FactoryConfig = await loadConfig(file, process.env);
  if (options.tenant !== undefined && !config.tenants.some((tenant) => tenant.id === options.tenant))
    throw new CliError(
      `--tenant ${options.tenant}: no such tenant in ${file} (it has ${config.tenants.map((tenant) => tenant.id).join(', ')})`,
      EXIT_USAGE,
    );
  const logger = processLogger({ level: 'warn', secrets: config.secrets, stream: 'stderr' });
  return await NodeRuntime.open(config, { logger });
}

/** The one tenant a command acts on: `--tenant`, or the only one. */
export function chosenTenant(runtime: NodeRuntime, options: OperatorOptions): NodeTenant {
  const tenants = runtime.tenants;
  const found = options.tenant
    ? tenants.find((tenant) => tenant.runtime.id === options.tenant)
    : tenants.length === 1
      ? tenants[0]
      : undefined;
  if (!found)
    throw new CliError(
      `the config has several tenants (${tenants.map((tenant) => tenant.runtime.id).join(', ')}); pass --tenant <id>`,
      EXIT_USAGE,
    );
  return found;
}

/** Runs `work` over an operator runtime and always closes the store. */
export async function withOperatorRuntime<T>(
  options: OperatorOptions,
  work: (runtime: NodeRuntime) => Promise<T>,
): Promise<T> {
  const runtime = await openOperatorRuntime(options);
  try {
    return await work(runtime);
  } finally {
    await runtime.stop();
  }
}
