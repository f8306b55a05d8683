import { existsSync } from 'node:fs';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import type { FactoryConfig } from '../config/config-schema.ts';
import { loadConfig } from '../config/load-config.ts';

export const DEFAULT_CONFIG = 'factory.config.yaml';

/**
 * The config a relayfile command works from: `--config`, else ./factory.config.yaml. Secrets in it are
 * `${ENV}` references resolved from the environment, never arguments (which show in the process list).
 */
export async function commandConfig(file: string | undefined): Promise<FactoryConfig> {
  const chosen = file ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  if (!chosen) throw new CliError(`no ${DEFAULT_CONFIG} here; pass --config <file>`, EXIT_USAGE);
  return loadConfig(chosen, process.env);
}
