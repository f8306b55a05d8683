import {
  type AdministeredRegistry,
  type Clock,
  consoleJsonLogger,
  createFactoryAppWithAssets,
  errorMessage,
  FactoryMetrics,
  JsonLineLogger,
  type Logger,
  MIN_ADMIN_TOKEN_LENGTH,
  type StateStore,
  tickAll,
} from '@software-factory/sdk';

import { dashboardAssetsOf } from './dashboard-assets.ts';
import { DurableObjectStateStore } from './durable-object-state-store.ts';
import type { FactoryStateObject } from './factory-state-object.ts';
import { KvIndexCache } from './kv-index-cache.ts';

export const DEFAULT_STATE_BINDING = 'FACTORY_STATE';
export const DEFAULT_CACHE_BINDING = 'FACTORY_CACHE';
/** The secret that opens every tenant's detail at `GET /healthz`, unless `operatorToken` says otherwise. */
export const DEFAULT_OPERATOR_TOKEN_BINDING = 'FACTORY_OPERATOR_TOKEN';
/** The Worker's static assets: the dashboard's stylesheet and script (see `assets` in wrangler.jsonc). */
export const DEFAULT_ASSETS_BINDING = 'ASSETS';

/** What the deployer's `tenants` function gets to wire each tenant's providers with. */
export interface TenantWiring<Env> {
  env: Env;
  /** The shared state store; give it to every tenant's `createFactory`. */
  store: StateStore;
  /** The KV namespace, when bound: e.g. for `cacheConnections`. */
  cache: KVNamespace | undefined;
  /**
   * Counters for `/t/:tenant/metrics`; pass it to each `createFactory`. They count what this isolate
   * handled since it started: Cloudflare runs many isolates and evicts them, so they are a sample.
   */
  metrics: FactoryMetrics;
}

export interface FactoryWorkerOptions<Env> {
  /** Builds the tenants from the Worker's bindings and secrets. Called once per isolate and env. */
  tenants(wiring: TenantWiring<Env>): AdministeredRegistry | Promise<AdministeredRegistry>;
  /** Reported by `GET /healthz`. */
  version?: string;
  /** The binding of the `FactoryStateObject` namespace. Default `FACTORY_STATE`. */
  stateBinding?: string;
  /** The KV binding used as a lookup cache, or `false` for none. Default `FACTORY_CACHE`, used if bound. */
  cacheBinding?: string | false;
  /**
   * The binding of the Worker's static assets, which hold the dashboard's `dashboard.css` and
   * `dashboard.js` (the Worker's script does not carry them). Default `ASSETS`.
   */
  assetsBinding?: string;
  logger?: Logger;
  clock?: Clock;
  maxBodyBytes?: number;
  /**
   * The deployment-wide operator token (at least 32 characters): `GET /healthz` with it as a bearer
   * shows every tenant's connections, refusal and fleet circuit; anyone else gets `{status, version}`.
   * Default: the Worker secret `FACTORY_OPERATOR_TOKEN` when it is set; `false` for none.
   */
  operatorToken?: ((env: Env) => string | undefined) | false;
  /** Where clients reach the Worker if not at its own URL (a custom domain); accepted on form posts. */
  publicUrl?: string;
  /** A link to a run's trace in a tracing UI, `{traceId}` where the id goes (https): on each item's page. */
  traceUrl?: string;
}

/** A binding is missing or of the wrong kind: the deployment, not the request, must be fixed. */
export class FactoryConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FactoryConfigError';
  }
}

interface Runtime {
  store: StateStore;
  tenants: AdministeredRegistry;
  metrics: FactoryMetrics;
  operatorToken: string | undefined;
}

/**
 * The Worker: `fetch` mounts the core's HTTP app unchanged, `scheduled` (a Cron Trigger) runs the tick
 * for every tenant. Export its result as the Worker's default export, next to `FactoryStateObject`.
 */
export function createFactoryWorker<Env extends object>(
  options: FactoryWorkerOptions<Env>,
): ExportedHandler<Env> & Required<Pick<ExportedHandler<Env>, 'fetch' | 'scheduled'>> {
  const logger = options.logger ?? consoleJsonLogger({ fields: { component: 'factory-worker' } });
  const version = options.version ?? '0.0.0';
  // Bindings are fixed for the isolate's lifetime: build the store and tenants once, not per request.
  const runtimes = new WeakMap<Env, Promise<Runtime>>();

  function runtimeFor(env: Env): Promise<Runtime> {
    let runtime = runtimes.get(env);
    if (!runtime) {
      runtime = buildRuntime(env, options).then((built) => {
        // The operator token is a secret the core's logger can scrub once it is read from the env.
        if (built.operatorToken && logger instanceof JsonLineLogger) logger.addSecrets([built.operatorToken]);
        return built;
      });
      runtimes.set(env, runtime);
      // A failed build is not kept: the next request tries again (e.g. after a secret was added).
      runtime.catch(() => runtimes.delete(env));
    }
    return runtime;
  }

  return {
    async fetch(request, env, ctx) {
      let runtime: Runtime;
      try {
        runtime = await runtimeFor(env);
      } catch (error) {
        logger.error('factory worker is misconfigured', { error: errorMessage(error) });
        const detail = error instanceof FactoryConfigError ? error.message : 'see the Worker logs';
        return Response.json({ error: `factory worker is misconfigured: ${detail}` }, { status: 500 });
      }
      const app = createFactoryAppWithAssets({
        tenants: runtime.tenants,
        // The admin API over the tenants, when the registry keeps tenants as data (`deploymentTenants`).
        ...(runtime.tenants.admin ? { admin: runtime.tenants.admin } : {}),
        store: runtime.store,
        metrics: runtime.metrics,
        version,
        logger,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
        ...(runtime.operatorToken ? { operatorToken: runtime.operatorToken } : {}),
        ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
        ...(options.traceUrl ? { traceUrl: options.traceUrl } : {}),
        waitUntil: (promise) => ctx.waitUntil(promise),
        // Set by Cloudflare's edge to the address the connection came from; a client cannot choose it.
        clientAddress: (c) => c.req.header('cf-connecting-ip'),
        dashboardAssets: dashboardAssetsOf(env, options.assetsBinding ?? DEFAULT_ASSETS_BINDING, logger),
      });
      return app.fetch(request);
    },

    async scheduled(controller, env) {
      // A misconfiguration throws here, so the Cron Trigger's run shows as failed in the dashboard.
      const runtime = await runtimeFor(env);
      for (const outcome of await tickAll(runtime.tenants)) {
        const fields = {
          tenant: outcome.tenant,
          cron: controller.cron,
          scheduledTime: controller.scheduledTime,
        };
        if (outcome.error) logger.warn('tick not run', { ...fields, error: outcome.error });
        else if (outcome.refused) logger.warn('tick refused', { ...fields, reason: outcome.refused });
        else
          logger.info('tick ran', {
            ...fields,
            outcome: outcome.result?.outcome,
            reason: outcome.result?.reason,
            transitions: outcome.result?.transitions.length,
            ...(outcome.result?.error ? { error: outcome.result.error } : {}),
          });
      }
    },
  };
}

async function buildRuntime<Env extends object>(
  env: Env,
  options: FactoryWorkerOptions<Env>,
): Promise<Runtime> {
  const bindings = env as Record<string, unknown>;
  const stateBinding = options.stateBinding ?? DEFAULT_STATE_BINDING;
  const namespace = bindings[stateBinding];
  if (!isDurableObjectNamespace(namespace)) {
    throw new FactoryConfigError(
      `binding "${stateBinding}" must be a Durable Object namespace of FactoryStateObject; check durable_objects.bindings in wrangler.jsonc`,
    );
  }
  const cacheBinding = options.cacheBinding ?? DEFAULT_CACHE_BINDING;
  const cacheValue = cacheBinding === false ? undefined : bindings[cacheBinding];
  if (cacheValue !== undefined && !isKvNamespace(cacheValue)) {
    throw new FactoryConfigError(
      `binding "${cacheBinding}" must be a KV namespace; check kv_namespaces in wrangler.jsonc`,
    );
  }
  const cache = cacheValue;
  const operatorToken = operatorTokenOf(env, options);
  const store = new DurableObjectStateStore(namespace, cache ? { indexCache: new KvIndexCache(cache) } : {});
  const metrics = new FactoryMetrics();
  const tenants = await options.tenants({ env, store, cache, metrics });
  if (typeof tenants?.get !== 'function' || typeof tenants.list !== 'function') {
    throw new FactoryConfigError('the tenants function must return a TenantRegistry (get and list)');
  }
  return { store, tenants, metrics, operatorToken };
}

function operatorTokenOf<Env extends object>(
  env: Env,
  options: FactoryWorkerOptions<Env>,
): string | undefined {
  if (options.operatorToken === false) return undefined;
  const token = options.operatorToken
    ? options.operatorToken(env)
    : (env as Record<string, unknown>)[DEFAULT_OPERATOR_TOKEN_BINDING];
  if (token === undefined || token === '') return undefined;
  if (typeof token !== 'string' || token.length < MIN_ADMIN_TOKEN_LENGTH)
    throw new FactoryConfigError(
      `the operator token (${options.operatorToken ? 'operatorToken' : `secret ${DEFAULT_OPERATOR_TOKEN_BINDING}`}) must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters long`,
    );
  return token;
}

function isDurableObjectNamespace(value: unknown): value is DurableObjectNamespace<FactoryStateObject> {
  const candidate = value as Partial<DurableObjectNamespace> | undefined;
  return typeof candidate?.idFromName === 'function' && typeof candidate.get === 'function';
}

function isKvNamespace(value: unknown): value is KVNamespace {
  const candidate = value as Partial<KVNamespace> | undefined;
  return (
    typeof candidate?.get === 'function' &&
    typeof candidate.put === 'function' &&
    typeof candidate.delete === 'function'
  );
}
