import type { ProviderRegistry } from '../registry/provider-registry.ts';
import {
  parseTenantConfigWith,
  type TenantConfig,
  TenantConfigError,
  type TenantParseOptions,
} from './tenant-config-schema.ts';

/** Settings that are not a JSON object or not valid settings; the message names the variable, never a value. */
export class TenantSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TenantSettingsError';
  }
}

/**
 * A deployment's tenant config (a Lambda's, a Worker's): its settings (routes, limits: the `settings`
 * block of factory.config.yaml) as the JSON text of one variable, with the roles the deployment wires in
 * code on top.
 */
export function tenantConfigFromSettings(
  registry: ProviderRegistry,
  settings: { variable: string; json: string },
  roles: { intentProvider: unknown; clarificationChannel: unknown; outputTarget: unknown },
  options: TenantParseOptions = {},
): TenantConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(settings.json);
  } catch {
    throw new TenantSettingsError(`${settings.variable} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new TenantSettingsError(`${settings.variable} is not valid: expected a JSON object`);
  try {
    return parseTenantConfigWith(registry, { ...parsed, ...roles }, options);
  } catch (error) {
    if (error instanceof TenantConfigError)
      throw new TenantSettingsError(`${settings.variable} is not valid: ${error.message}`);
    throw error;
  }
}
