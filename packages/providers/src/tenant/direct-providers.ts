import type {
  ClarificationChannel,
  Factory,
  Fetch,
  Logger,
  OutputTarget,
  RetryOptions,
  TenantRuntime,
  WorkItemProvider,
} from '@software-factory/sdk';
import { providerRegistry } from '../registry/builtin-providers.ts';
import { ROLES } from '../registry/provider-entry.ts';
import type { TokenSource } from '../shared/provider-credentials.ts';
import { buildTenant } from './build-tenant.ts';
import { parseTenantConfig, TenantConfigError } from './tenant-config-schema.ts';

/** Where the tenant's secrets come from; nothing here is ever logged. */
export interface DirectSecrets {
  /** The API token of a provider, by its config name (`provider`, e.g. `jira`). */
  token(provider: string): TokenSource | undefined;
  /** The webhook secret of a source: `linear`, `slack`, `github`, `jira`, `github-issues`, `gitlab`. */
  webhookSecret(source: string): string | undefined;
}

export interface DirectProviderOptions {
  secrets: DirectSecrets;
  fetch?: Fetch;
  retry?: RetryOptions;
  logger?: Logger;
}

/** The three role ports of a tenant, and the runtime that mounts their webhook sources once the factory exists. */
export interface DirectProviders {
  workItems: WorkItemProvider;
  clarifications: ClarificationChannel;
  outputs: OutputTarget;
  tenant(factory: Factory, options?: { connectionTtlMs?: number }): TenantRuntime;
}

/** The role blocks `directProviders` takes; secrets come from `DirectSecrets`, not from here. */
export type DirectTenantConfig = Record<'intentProvider' | 'clarificationChannel' | 'outputTarget', unknown>;

/**
 * @deprecated Use `parseTenantConfig` and `buildTenant` (the provider registry), which take the secrets
 * from the config's references. This keeps the earlier signature (secrets from callbacks) for callers
 * not moved yet, and is built on the registry: no provider is named here.
 */
export function directProviders(config: unknown, options: DirectProviderOptions): DirectProviders {
  let parsed: ReturnType<typeof parseTenantConfig>;
  try {
    parsed = parseTenantConfig(config, { env: {} });
  } catch (error) {
    if (!(error instanceof TenantConfigError)) throw error;
    throw new Error(
      `invalid tenant providers config: ${error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  // The webhook secrets the callbacks hold, put where the config would have them.
  for (const role of ROLES) {
    const block = parsed[role];
    for (const field of providerRegistry.get(block.type)?.secrets ?? [])
      if (field.kind === 'webhook-secret' && block[field.field] === undefined) {
        const secret = options.secrets.webhookSecret(block.type);
        if (secret) block[field.field] = secret;
      }
  }
  const built = buildTenant(parsed, {
    tenant: 'direct',
    storedToken: (provider) => options.secrets.token(provider),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const [missing] = built.missing;
  if (missing)
    throw new Error(`invalid tenant providers config: ${missing.path[0]}: ${missing.what}: ${missing.fix}`);
  return {
    ...built.ports,
    tenant: (factory, tenantOptions = {}) =>
      built.runtime(factory, {
        ...(tenantOptions.connectionTtlMs !== undefined
          ? { connectionTtlMs: tenantOptions.connectionTtlMs }
          : {}),
      }),
  };
}
