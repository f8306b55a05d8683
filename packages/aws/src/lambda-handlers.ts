import {
  type AdministeredRegistry,
  type Clock,
  consoleJsonLogger,
  createFactoryApp,
  FactoryMetrics,
  type Logger,
  type StateStore,
  tickAll,
} from '@software-factory/sdk';
import { handle } from 'hono/aws-lambda';

import { httpEventFor, type LambdaHttpResult, sourceIpOf } from './lambda-http-event.ts';
import { parseTickInvocation, type TickInvocation } from './schedule-event.ts';

export interface LambdaHandlersOptions {
  /**
   * The deployment's tenants: a registry, or a function that builds one. The function runs once per
   * Lambda instance, at its first invocation (so a failure there is an invocation error with its
   * message, and the next invocation tries again); this is where the deployer wires providers, and
   * gives `metrics` to each tenant's `createFactory` so `/metrics` counts what it handles.
   */
  registry:
    | AdministeredRegistry
    | ((wiring: LambdaTenantWiring) => AdministeredRegistry | Promise<AdministeredRegistry>);
  /** Usually `DynamoStateStore.fromEnvironment()`. */
  store: StateStore;
  /** Reported by GET /healthz. */
  version: string;
  logger?: Logger;
  clock?: Clock;
  maxBodyBytes?: number;
  /**
   * Opens every tenant's detail at `GET /healthz` (as `Authorization: Bearer`); at least 32 characters.
   * Without it, `/healthz` answers `{status, version}` only.
   */
  operatorToken?: string;
  /** Where clients reach the API, e.g. `https://factory.example.com`; its origin is accepted on form posts. */
  publicUrl?: string;
  /** A link to a run's trace in a tracing UI, `{traceId}` where the id goes (https): on each item's page. */
  traceUrl?: string;
}

/** What the deployer's `registry` function gets to wire each tenant with. */
export interface LambdaTenantWiring {
  /**
   * Counters for `/metrics` and `/t/:tenant/metrics`; pass it to each `createFactory`. They count what
   * this Lambda instance handled since its cold start: Prometheus sums the instances it scrapes, so
   * behind one URL they are a sample of the deployment.
   */
  metrics: FactoryMetrics;
}

export interface TickSummary {
  trigger: TickInvocation['trigger'];
  scheduledTime?: string;
  tenants: { tenant: string; outcome?: string; reason?: string; error?: string }[];
  /** Tenants whose tick failed (an error, or side effects left for the next tick). */
  failed: number;
  /** Tenants not ticked because a declared provider is not connected. */
  refused: number;
}

export interface LambdaHandlers {
  /** For API Gateway REST (1.0), HTTP API (2.0) and Function URL events; answers in the event's format. */
  http(event: unknown): Promise<LambdaHttpResult>;
  /** For the EventBridge Scheduler tick: runs the core's tick for every tenant. */
  schedule(event: unknown): Promise<TickSummary>;
}

/**
 * The factory as two Lambda handlers. They only translate: every decision is the core's, through the
 * same `createFactoryApp` and `tickAll` the other runtimes use.
 */
export function createLambdaHandlers(options: LambdaHandlersOptions): LambdaHandlers {
  // The default logger knows the operator token; a deployer's logger is told its secrets by the deployer.
  const logger =
    options.logger ?? consoleJsonLogger({ secrets: options.operatorToken ? [options.operatorToken] : [] });
  const metrics = new FactoryMetrics();
  let ready: Promise<{ registry: AdministeredRegistry; http: ReturnType<typeof handle> }> | undefined;

  const init = () => {
    ready ??= (async () => {
      const registry =
        typeof options.registry === 'function' ? await options.registry({ metrics }) : options.registry;
      const app = createFactoryApp({
        tenants: registry,
        // The admin API over the tenants, when the registry keeps tenants as data (`deploymentTenants`).
        ...(registry.admin ? { admin: registry.admin } : {}),
        store: options.store,
        metrics,
        version: options.version,
        logger,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
        ...(options.operatorToken !== undefined ? { operatorToken: options.operatorToken } : {}),
        ...(options.publicUrl !== undefined ? { publicUrl: options.publicUrl } : {}),
        ...(options.traceUrl !== undefined ? { traceUrl: options.traceUrl } : {}),
        // API Gateway and Function URLs give the client's address in the event; a client cannot set it.
        clientAddress: (c) => sourceIpOf(c.env),
      });
      // hono's own adapter translates the event to a Request and the Response back.
      return { registry, http: handle(app) };
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };

  return {
    async http(event) {
      // Check first: a malformed event is refused before any tenant code or state is touched.
      const httpEvent = httpEventFor(event);
      const { http } = await init();
      return http(httpEvent);
    },

    async schedule(event) {
      const invocation = parseTickInvocation(event);
      const { registry } = await init();
      const outcomes = await tickAll(registry);
      const tenants = outcomes.map(({ tenant, result, error, refused }) => ({
        tenant,
        ...(result ? { outcome: result.outcome, reason: result.reason } : {}),
        ...(refused ? { outcome: 'refused', reason: refused } : {}),
        ...(error ? { error } : {}),
      }));
      const failed = tenants.filter(
        (tenant) => tenant.error !== undefined || tenant.outcome === 'incomplete',
      );
      for (const tenant of failed)
        logger.error('tick failed for a tenant', { ...tenant, trigger: invocation.trigger });
      // A tenant with a provider to connect is a setup task, not a failed tick: a warning, counted apart.
      const refused = tenants.filter((tenant) => tenant.outcome === 'refused');
      for (const tenant of refused)
        logger.warn('tick refused for a tenant', { ...tenant, trigger: invocation.trigger });
      return {
        trigger: invocation.trigger,
        ...(invocation.scheduledTime ? { scheduledTime: invocation.scheduledTime } : {}),
        tenants,
        failed: failed.length,
        refused: refused.length,
      };
    },
  };
}
