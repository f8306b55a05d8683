import type { MountEventSource, MountTransports } from '@software-factory/relayfile';
import {
  type ClarificationChannel,
  type Connectable,
  type ConnectionReport,
  errorMessage,
  type Factory,
  type FactorySettingsInput,
  type Fetch,
  factorySettingsSchema,
  type Logger,
  type Mount,
  type OutputTarget,
  type ProviderRole,
  type RetryOptions,
  silentLogger,
  type TenantRuntime,
  type WebhookSource,
  type WorkItemProvider,
} from '@software-factory/sdk';
import { providerRegistry } from '../registry/builtin-providers.ts';
import {
  type AnyProviderEntry,
  type BuiltProvider,
  type ProviderConfig,
  type ProviderContext,
  ROLE_REPORT_NAMES,
  ROLES,
  type Role,
} from '../registry/provider-entry.ts';
import type { ProviderRegistry } from '../registry/provider-registry.ts';
import type { MountConfig, TenantConfig } from './tenant-config-schema.ts';

/** What a tenant's providers are built with, besides its config. */
export interface TenantContext {
  /** The tenant's id (its webhook URLs, its state, its stored credentials). */
  tenant: string;
  logger?: Logger;
  /** The providers the config names; the shared `providerRegistry` by default. */
  registry?: ProviderRegistry;
  fetch?: Fetch;
  retry?: RetryOptions;
  /** The token of a provider whose config gives none (see `ProviderContext.storedToken`). */
  storedToken?: ProviderContext['storedToken'];
  /**
   * How this runtime reads and writes through a tenant's `mount:`; without it a tenant with a mount is
   * refused.
   */
  mount?: MountSupport;
}

/** What a runtime that opens mounts gives the tenant builder. */
export interface MountSupport {
  /**
   * Opens the tenant's `mount:`. The runtime decides what a mount is where it runs (the CLI: a local
   * folder, or relayfile through `RelayfileMount`).
   */
  open(config: MountConfig, tenant: TenantConfig): Mount;
  /** The providers' ports over it and relayfile's webhook source: `mountTransports` of `@software-factory/relayfile`. */
  transports: MountTransports;
}

/** Something a tenant still needs before it can take work, at its place in the config. */
export interface TenantRequirement {
  /** The config path, e.g. `['intentProvider', 'webhookSecret']` or `['fleet']`. */
  path: string[];
  what: string;
  fix: string;
}

/** A tenant's providers, built from its config: what the core's factory and the HTTP app need of them. */
export interface BuiltTenant {
  id: string;
  /** The role ports, named as `createFactory`'s ports are. */
  ports: { workItems: WorkItemProvider; clarifications: ClarificationChannel; outputs: OutputTarget };
  /** Every declared provider with the role it plays, for connection checks and `factory connect`. */
  connectables: [Connectable, ProviderRole][];
  /** The providers' webhook sources (and relayfile's, for a relayfile mount). */
  sources: WebhookSource[];
  /** Providers that read the mount's change events. */
  mountSources: MountEventSource[];
  mount?: Mount;
  /** What the tenant's providers still need before it can take work (empty: nothing). */
  missing: TenantRequirement[];
  /** Asks every declared provider now; a check that throws is an `error` report. */
  connections(): Promise<ConnectionReport[]>;
  /** The tenant for `createFactoryApp` and `tickAll`, once its factory is built with `ports`. */
  runtime(factory: Factory, options?: RuntimeOptions): TenantRuntime;
}

export interface RuntimeOptions {
  /** More webhook sources: a remote fleet's exits, say. */
  sources?: readonly WebhookSource[];
  /**
   * How long one round of connection checks that found every provider connected is trusted. The app asks
   * before every webhook; three API calls per delivery would be slow and burn rate limits. Default one
   * minute; 0 asks every time. A round that found a provider not connected is not kept.
   */
  connectionTtlMs?: number;
  /** Opens the tenant's dashboard; the config's `adminToken` by default. */
  adminToken?: string;
}

/**
 * Builds a tenant's providers from its parsed config by way of the registry (the built-in
 * `providerRegistry` unless `context.registry` is another): each role's entry builds its port, webhook
 * sources and mount readers. Nothing here touches Node: Lambda, Workers and `factory start` all call it;
 * each runtime adds its store, fleet and triage around it.
 */
export function buildTenant(config: TenantConfig, context: TenantContext): BuiltTenant {
  return buildTenantWith(context.registry ?? providerRegistry, config, context);
}

/**
 * `buildTenant` over `registry`'s providers alone: a bundle that carries only some vendors (what `factory
 * deploy` builds) calls this, as nothing here reaches for the built-in registry and every vendor in it.
 */
export function buildTenantWith(
  registry: ProviderRegistry,
  config: TenantConfig,
  context: Omit<TenantContext, 'registry'>,
): BuiltTenant {
  const logger = context.logger ?? silentLogger;
  if (config.mount && !context.mount)
    throw new Error(`tenant ${context.tenant}: this runtime opens no mount (mount: ${config.mount.type})`);
  const mounted =
    config.mount && context.mount
      ? { mount: context.mount.open(config.mount, config), mountTransports: context.mount.transports }
      : undefined;
  const mount = mounted?.mount;
  const entryOf = (role: Role): AnyProviderEntry => {
    const entry = registry.get(config[role].type);
    if (!entry?.roles.includes(role))
      throw new Error(`${role}: no provider "${config[role].type}" that can play this role is registered`);
    return entry;
  };
  const channelEntry = entryOf('clarificationChannel');
  const providerContext: ProviderContext = {
    tenant: context.tenant,
    logger,
    ...(context.fetch ? { fetch: context.fetch } : {}),
    ...(context.retry ? { retry: context.retry } : {}),
    ...(context.storedToken ? { storedToken: context.storedToken } : {}),
    addOn: (name) => registry.addOn(name),
    ...mounted,
    ...(channelEntry.commentReplies
      ? { commentReplies: channelEntry.commentReplies(config.clarificationChannel) }
      : {}),
  };

  const built = {} as { [R in Role]: BuiltProvider<R> };
  for (const role of ROLES) {
    const roleContext =
      role === 'clarificationChannel'
        ? { ...providerContext, intake: built.intentProvider.port }
        : providerContext;
    (built as Record<Role, BuiltProvider>)[role] = entryOf(role).build(
      config[role] as ProviderConfig,
      roleContext,
      role,
    );
  }

  const mountSources = ROLES.flatMap((role) => built[role].mountSources ?? []);
  const sources = ROLES.flatMap((role) => built[role].sources ?? []);
  if (mounted && config.mount?.type === 'relayfile')
    sources.push(
      new mounted.mountTransports.RelayfileWebhookSource({
        secret: config.mount.webhookSecret,
        mount: mounted.mount,
        sources: mountSources,
      }),
    );
  const missing = ROLES.flatMap((role) =>
    (built[role].missing ?? []).map((requirement) => ({
      path: [role, requirement.field],
      what: requirement.what,
      fix: requirement.fix,
    })),
  );
  const connectables = ROLES.map((role): [Connectable, ProviderRole] => [
    built[role].port,
    ROLE_REPORT_NAMES[role],
  ]);
  const connections = () => checkConnections(connectables);

  return {
    id: context.tenant,
    ports: {
      workItems: built.intentProvider.port,
      clarifications: built.clarificationChannel.port,
      outputs: built.outputTarget.port,
    },
    connectables,
    sources,
    mountSources,
    ...(mount ? { mount } : {}),
    missing,
    connections,
    runtime(factory, options = {}) {
      const ttl = options.connectionTtlMs ?? 60_000;
      let cached: { at: number; reports: Promise<ConnectionReport[]> } | undefined;
      const adminToken = options.adminToken ?? config.adminToken;
      return {
        id: factory.tenant,
        factory,
        sources: new Map([...sources, ...(options.sources ?? [])].map((source) => [source.source, source])),
        // Only an all-connected answer is reused: a refusal is asked again, so a provider signed in to a
        // moment ago takes work at once.
        async connections() {
          const now = factory.ports.clock.now();
          if (cached && now - cached.at < ttl) return cached.reports;
          const reports = connections();
          cached = { at: now, reports };
          const settled = await reports.catch((error: unknown) => {
            cached = undefined;
            throw error;
          });
          if (!settled.every((report) => report.status.state === 'connected')) cached = undefined;
          return settled;
        },
        ...(adminToken ? { adminToken } : {}),
      };
    },
  };
}

/**
 * A tenant's runtime in one call, for a runtime that builds its factory from the ports: `factory`
 * receives the role ports and returns the tenant's factory (with the runtime's store, fleet, triage and
 * template). The requirements are not checked here; see `tenantRequirements`.
 */
export function buildTenantRuntime(
  config: TenantConfig,
  context: TenantContext & {
    factory: (ports: BuiltTenant['ports'], tenant: BuiltTenant) => Factory;
  } & RuntimeOptions,
): TenantRuntime {
  const tenant = buildTenant(config, context);
  return tenant.runtime(context.factory(tenant.ports, tenant), context);
}

/**
 * What a tenant still needs before it can take work: its providers' (a webhook secret, a channel), and a
 * fleet. `fleetExample` is what the runtime suggests (a local command, a remote fleet).
 */
export function tenantRequirements(
  config: TenantConfig,
  built: Pick<BuiltTenant, 'missing'>,
  fleetExample = 'fleet: { type: local, command: claude -p }',
): TenantRequirement[] {
  return [
    ...(config.fleet ? [] : [{ path: ['fleet'], what: 'where agents run', fix: `add ${fleetExample}` }]),
    ...built.missing,
  ];
}

/** The tenant's factory settings: the config keys the core's settings schema declares. */
export function tenantSettings(config: TenantConfig): FactorySettingsInput {
  const settings: Record<string, unknown> = {};
  for (const key of Object.keys(factorySettingsSchema.shape))
    settings[key] = (config as unknown as Record<string, unknown>)[key];
  return settings as FactorySettingsInput;
}

/** The connection of each provider; a check that throws is an `error` report, never a crash. */
export function checkConnections(
  connectables: readonly (readonly [Connectable, ProviderRole])[],
): Promise<ConnectionReport[]> {
  return Promise.all(
    connectables.map(async ([port, role]): Promise<ConnectionReport> => {
      try {
        return { provider: port.provider, role, status: await port.checkConnection() };
      } catch (error) {
        return { provider: port.provider, role, status: { state: 'error', message: errorMessage(error) } };
      }
    }),
  );
}
