import path from 'node:path';
import { getConnInfo } from '@hono/node-server/conninfo';
import {
  createFactoryApp,
  type FactoryEvent,
  type HandleResult,
  type Logger,
  type StateStore,
  StaticTenantRegistry,
  tickAll,
} from '@software-factory/sdk';
import type { Hono } from 'hono';
import { CliError, EXIT_USAGE } from './cli-error.ts';
import type { FactoryConfig } from './config/config-schema.ts';
import type { Environment } from './config/secret-reference.ts';
import { openStateStore } from './state-store-from-config.ts';
import { openCredentialStore } from './tenant/credential-store-from-config.ts';
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
  readonly tenants: readonly NodeTenant[];
  readonly #config: FactoryConfig;
  readonly #logger: Logger;
  readonly #closeStore: () => void;
  readonly #timer: TickTimer;

  constructor(config: FactoryConfig, options: NodeRuntimeOptions) {
    this.#config = config;
    this.#logger = options.logger;
    const opened = openStateStore(config.stateStore);
    this.store = opened.store;
    this.#closeStore = opened.close;
    const stateDir =
      config.stateStore.type === 'sqlite'
        ? path.dirname(config.stateStore.path)
        : path.join(config.baseDir, '.factory');
    try {
      const credentials = openCredentialStore(config.credentials, options.env ?? process.env);
      this.tenants = config.tenants.map((tenant) =>
        tenantFromConfig(tenant, {
          store: this.store,
          credentials,
          logger: options.logger,
          stateDir,
          baseDir: config.baseDir,
          ...(options.onResult ? { onResult: options.onResult } : {}),
        }),
      );
    } catch (error) {
      this.#closeStore();
      throw new CliError(`cannot set up the factory: ${messageOf(error)}`, EXIT_USAGE);
    }
    const registry = new StaticTenantRegistry(this.tenants.map((tenant) => tenant.runtime));
    const { publicUrl, trustedProxies, operatorToken } = config.server;
    this.app = createFactoryApp({
      tenants: registry,
      store: this.store,
      version: VERSION,
      logger: this.#logger,
      // The socket's peer, when the app is served by `listen` (Node's server passes it in the env).
      clientAddress: (c) => getConnInfo(c).remote.address,
      ...(publicUrl ? { publicUrl } : {}),
      ...(trustedProxies ? { trustedProxies } : {}),
      ...(operatorToken ? { operatorToken } : {}),
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
    this.#closeStore();
  }

  get config(): FactoryConfig {
    return this.#config;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
