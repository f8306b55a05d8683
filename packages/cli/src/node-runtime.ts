import path from 'node:path';
import { getConnInfo } from '@hono/node-server/conninfo';
import { providerRegistry } from '@software-factory/providers/registry';
import {
  createFactoryApp,
  errorMessage,
  type FactoryEvent,
  FactoryMetrics,
  type HandleResult,
  type Logger,
  type StateStore,
  tickAll,
} from '@software-factory/sdk';
import type { Hono } from 'hono';
import { CliError, EXIT_USAGE } from './cli-error.ts';
import type { FactoryConfig } from './config/config-schema.ts';
import type { Environment } from './config/secret-reference.ts';
import { type DeploymentTenants, tenantsAsData } from './deploy/runtime/deployment-tenants.ts';
import { remoteTenantIssues } from './deploy/runtime/remote-tenant-rules.ts';
import { signIns } from './deploy/runtime/sign-in-support.ts';
import { openStateStore } from './state-store-from-config.ts';
import { openCredentialStore } from './tenant/credential-store-from-config.ts';
import { deploymentKey } from './tenant/deployment-key.ts';
import { type NodeTenant, tenantFromConfig } from './tenant-from-config.ts';
import { TickTimer } from './tick-timer.ts';
import { VERSION } from './version.ts';

export interface NodeRuntimeOptions {
  logger: Logger;
  /** Where the credentials key is read from (`FACTORY_CREDENTIALS_KEY[_FILE]`); the process's by default. */
  env?: Environment;
  onResult?: (tenant: string, event: FactoryEvent, result: HandleResult) => void;
}

/**
 * The factory as one Node process: the store, every tenant, the HTTP app and the tick timer. It holds
 * nothing the core needs between events; a killed runtime restarted over the same store and folders
 * carries on where it stopped.
 */
export class NodeRuntime {
  readonly store: StateStore;
  readonly app: Hono;
  /** The tenants of the config file, with their local fleets and folders. */
  readonly tenants: readonly NodeTenant[];
  /** Every tenant served: the config file's and those added through the admin API. */
  readonly registry: DeploymentTenants;
  /** What every tenant's factory handled in this process, served at `/metrics` and `/t/:tenant/metrics`. */
  readonly metrics: FactoryMetrics;
  readonly #config: FactoryConfig;
  readonly #logger: Logger;
  readonly #closeStore: () => Promise<void>;
  readonly #timer: TickTimer;

  /**
   * Opens the store, builds the config file's tenants and the registry that also serves the tenants
   * added through the admin API. Throws a CliError (exit 2) when the setup cannot be built.
   */
  static async open(config: FactoryConfig, options: NodeRuntimeOptions): Promise<NodeRuntime> {
    const env = options.env ?? process.env;
    const metrics = new FactoryMetrics();
    const opened = await openStateStore(config.stateStore, { logger: options.logger });
    const stateDir =
      config.stateStore.type === 'sqlite'
        ? path.dirname(config.stateStore.path)
        : path.join(config.baseDir, '.factory');
    try {
      const credentials = openCredentialStore(config.credentials, env);
      const tenants = config.tenants.map((tenant) =>
        tenantFromConfig(tenant, {
          store: opened.store,
          credentials,
          logger: options.logger,
          stateDir,
          baseDir: config.baseDir,
          metrics,
          ...(options.onResult ? { onResult: options.onResult } : {}),
        }),
      );
      const key = await deploymentKey(config, env);
      const registry = await tenantsAsData(
        {
          store: opened.store,
          providers: providerRegistry,
          logger: options.logger,
          metrics,
          env,
          signIns,
          remoteTenantIssues,
        },
        {
          pinned: tenants.map((tenant) => tenant.runtime),
          ...(key !== undefined ? { key } : {}),
          ...(config.server.oauthApps ? { oauthApps: config.server.oauthApps } : {}),
        },
      );
      return new NodeRuntime(config, options.logger, opened, tenants, registry, metrics);
    } catch (error) {
      await opened.close();
      throw new CliError(`cannot set up the factory: ${messageOf(error)}`, EXIT_USAGE);
    }
  }

  private constructor(
    config: FactoryConfig,
    logger: Logger,
    opened: { store: StateStore; close: () => Promise<void> },
    tenants: readonly NodeTenant[],
    registry: DeploymentTenants,
    metrics: FactoryMetrics,
  ) {
    this.metrics = metrics;
    this.#config = config;
    this.#logger = logger;
    this.store = opened.store;
    this.#closeStore = opened.close;
    this.tenants = tenants;
    this.registry = registry;
    const { publicUrl, trustedProxies, operatorToken } = config.server;
    this.app = createFactoryApp({
      tenants: registry,
      admin: registry.admin,
      store: this.store,
      metrics,
      version: VERSION,
      logger: this.#logger,
      // The socket's peer, when the app is served by `listen` (Node's server passes it in the env).
      clientAddress: (c) => getConnInfo(c).remote.address,
      // Node's HTTP parser reads a body by its Content-Length and no further.
      framedBodies: true,
      ...(publicUrl ? { publicUrl } : {}),
      ...(trustedProxies ? { trustedProxies } : {}),
      ...(operatorToken ? { operatorToken } : {}),
      ...(config.observability?.traceUrl ? { traceUrl: config.observability.traceUrl } : {}),
    });
    this.#timer = new TickTimer(async () => {
      for (const tenant of this.tenants) await tenant.catchUp();
      for (const outcome of await tickAll(registry)) {
        if (outcome.error) this.#logger.warn('tick failed', { tenant: outcome.tenant, error: outcome.error });
        if (outcome.refused)
          this.#logger.warn('tick refused', { tenant: outcome.tenant, reason: outcome.refused });
      }
    }, config.tick.interval);
  }

  /** Rejects with a one-line CliError when an agent command or its repository cannot be used. */
  async check(): Promise<void> {
    for (const tenant of this.tenants) {
      try {
        await tenant.check();
      } catch (error) {
        throw new CliError(`tenant ${tenant.runtime.id}: ${messageOf(error)}`, EXIT_USAGE);
      }
    }
  }

  /** Catches up on what happened while the process was down, then keeps going on events and ticks. */
  async start(): Promise<void> {
    for (const tenant of this.tenants) await tenant.start();
    await this.#timer.runNow();
    this.#timer.start();
  }

  /** Stops the timer and the folder feeds, waiting for work in flight; agents keep running. */
  async stop(): Promise<void> {
    await this.#timer.stop();
    for (const tenant of this.tenants) await tenant.close();
    await this.#closeStore();
  }

  get config(): FactoryConfig {
    return this.#config;
  }
}

function messageOf(error: unknown): string {
  return errorMessage(error);
}
