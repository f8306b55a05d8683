import { existsSync } from 'node:fs';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import type { FactoryConfig } from '../config/config-schema.ts';
import { loadConfig } from '../config/load-config.ts';
import type { Environment } from '../config/secret-reference.ts';
import { buildTenantPorts, type TenantPorts } from '../tenant/tenant-ports.ts';
import { DEFAULT_CONFIG } from './fix-command.ts';

export interface OnboardingConfig {
  file: string;
  config: FactoryConfig;
  tenants: TenantPorts[];
}

/** The config `check` and `connect` work on, with every tenant's role ports built (nothing started). */
export async function loadOnboardingConfig(
  configFlag: string | undefined,
  env: Environment,
): Promise<OnboardingConfig> {
  const file = configFlag ?? DEFAULT_CONFIG;
  if (!configFlag && !existsSync(file))
    throw new CliError(
      `no ${DEFAULT_CONFIG} here; run \`factory init\`, or pass --config <file>`,
      EXIT_USAGE,
    );
  const config = await loadConfig(file, env);
  return { file, config, tenants: buildTenantPorts(config, { env }) };
}

/** The tenant a command acts on: the one named, or the only one. */
export function chooseTenant(
  tenants: readonly TenantPorts[],
  name: string | undefined,
  file: string,
): TenantPorts {
  if (name !== undefined) {
    const found = tenants.find((tenant) => tenant.id === name);
    if (!found)
      throw new CliError(
        `--tenant ${name}: no such tenant in ${file} (tenants: ${tenants.map((tenant) => tenant.id).join(', ')})`,
        EXIT_USAGE,
      );
    return found;
  }
  const [only, ...others] = tenants;
  if (!only || others.length > 0)
    throw new CliError(
      `${file} has ${tenants.length} tenants; pass --tenant <id> (one of ${tenants.map((tenant) => tenant.id).join(', ')})`,
      EXIT_USAGE,
    );
  return only;
}
