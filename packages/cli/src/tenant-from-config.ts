import { AgentRelayFleet } from '@software-factory/fleets';
import { checkTriage, createTriage } from '@software-factory/llm-triage';
import { type BuiltTenant, buildTenant, tenantSettings } from '@software-factory/providers/registry';
import {
  createFactory,
  DefaultTaskTemplate,
  type Factory,
  type FactoryEvent,
  type FactoryMetrics,
  type HandleResult,
  type Logger,
  type StateStore,
  type TenantRuntime,
} from '@software-factory/sdk';
import type { TenantConfig } from './config/config-schema.ts';
import type { LocalProcessFleet } from './local-process-fleet.ts';
import { LocalWritebackMount } from './local-writeback-mount.ts';
import { MountFeed } from './mount-feed.ts';
import type { ConfiguredCredentials } from './tenant/credential-store-from-config.ts';
import { fleetFromConfig } from './tenant/fleet-from-config.ts';
import { nodeTenantContext } from './tenant/tenant-context.ts';

export interface TenantDependencies {
  store: StateStore;
  logger: Logger;
  /** The credentials store for providers whose token field is left out. */
  credentials: ConfiguredCredentials;
  /** Where the fleet keeps its agents when the config does not say (`<dir>/fleet/<tenant>`). */
  stateDir: string;
  /** The config file's folder: relative program paths in the agent command resolve against it. */
  baseDir: string;
  /** Counters this tenant's factory feeds (the process's `/metrics`). */
  metrics?: FactoryMetrics;
  /** Told about every event this tenant handled, whoever delivered it. */
  onResult?: (tenant: string, event: FactoryEvent, result: HandleResult) => void;
}

/** One tenant of `factory start`: what the HTTP app and the tick need, plus the local moving parts. */
export interface NodeTenant {
  runtime: TenantRuntime;
  /** The tenant's providers, built through the provider registry. */
  ports: BuiltTenant;
  /** The local fleet, when agents run on this machine. */
  localFleet?: LocalProcessFleet;
  /** Checks what can be checked before taking work: the agent command and its repository. */
  check(): Promise<void>;
  /** Starts pushing folder changes and reports agents that ended while the factory was down. */
  start(): Promise<void>;
  /** Replays what a local folder holds; the tick calls it as the safety net for missed changes. */
  catchUp(): Promise<void>;
  close(): Promise<void>;
}

const CONNECTION_TTL_MS = 60_000;

/** Builds one tenant's providers, fleet, triage, template and factory from its config. */
export function tenantFromConfig(config: TenantConfig, deps: TenantDependencies): NodeTenant {
  const { logger } = deps;
  let handle: (event: FactoryEvent) => Promise<HandleResult> = async () => {
    throw new Error('the factory is not built yet');
  };

  const ports = buildTenant(config, nodeTenantContext(config, { credentials: deps.credentials, logger }));
  const fleet = fleetFromConfig(config, {
    credentials: deps.credentials,
    stateDir: deps.stateDir,
    baseDir: deps.baseDir,
    onExit: (event) => handle(event),
  });

  const core = createFactory({
    tenant: config.id,
    settings: tenantSettings(config),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ports: {
      store: deps.store,
      ...ports.ports,
      fleet: fleet.fleet,
      triage: createTriage(config.triage, config.routes, { logger }),
      template: new DefaultTaskTemplate({
        ...(config.template.text !== undefined ? { text: config.template.text } : {}),
        ...(config.template.branchPrefix !== undefined ? { branchPrefix: config.template.branchPrefix } : {}),
      }),
      logger,
    },
  });
  const factory: Factory = {
    tenant: core.tenant,
    settings: core.settings,
    ports: core.ports,
    async handle(event, options) {
      const result = await core.handle(event, options);
      deps.onResult?.(config.id, event, result);
      return result;
    },
  };
  handle = (event) => factory.handle(event);

  const feed =
    ports.mount instanceof LocalWritebackMount
      ? new MountFeed({ tenant: config.id, mount: ports.mount, sources: ports.mountSources, handle, logger })
      : undefined;

  // The app asks before every webhook; three API calls per delivery would be slow and burn rate limits.
  const runtime = ports.runtime(factory, { sources: fleet.sources, connectionTtlMs: CONNECTION_TTL_MS });

  return {
    runtime,
    ports,
    ...(fleet.local ? { localFleet: fleet.local } : {}),
    check: async () => {
      // Optional packages a tenant's config asks for (a model's SDK, Agent Relay's) are named here, at start.
      await checkTriage(config.triage);
      if (fleet.fleet instanceof AgentRelayFleet) await fleet.fleet.check();
      await fleet.local?.check();
    },
    async start() {
      feed?.start();
      await fleet.local?.recover();
    },
    async catchUp() {
      await feed?.catchUp();
    },
    async close() {
      await feed?.close();
      fleet.local?.close();
    },
  };
}
