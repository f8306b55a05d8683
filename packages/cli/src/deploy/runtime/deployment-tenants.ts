import { GithubActionsFleet, WorkflowRunWebhookSource } from '@software-factory/fleets/github-actions';
import { FleetWebhookSource, HttpFleet } from '@software-factory/fleets/http';
import {
  type ConnectionReport,
  createFactory,
  DefaultTaskTemplate,
  type FactoryMetrics,
  type FactorySettingsInput,
  type FleetClient,
  factorySettingsSchema,
  type Logger,
  type RouteConfig,
  RuleTriage,
  type StateStore,
  StaticTenantRegistry,
  silentLogger,
  type TenantRuntime,
  type Triage,
  type WebhookSource,
} from '@software-factory/sdk';
import { DEPLOYMENT_FORMAT, type DeployedTenant, type FactoryDeployment } from './deployment.ts';
import { tenantRoles } from './tenant-roles.ts';

/** Builds a model triage: `createTriage` of `@software-factory/llm-triage`, for a tenant that asks for one. */
export type TriageFactory = (
  config: DeployedTenant['triage'],
  routes: readonly RouteConfig[],
  options: { logger: Logger },
) => Triage;

export interface DeploymentWiring {
  /** The deployment's store, shared by every tenant (its keys carry the tenant). */
  store: StateStore;
  logger?: Logger;
  /** Counters for `/t/:tenant/metrics`; share them with the HTTP app. */
  metrics?: FactoryMetrics;
  /** Needed only when a tenant's `triage` is a model; the generated entry passes it then. */
  createTriage?: TriageFactory;
  /** Wraps a tenant's connection checks, e.g. in a cache shared by every instance (Workers KV). */
  cacheConnections?: (
    tenant: string,
    check: () => Promise<ConnectionReport[]>,
  ) => () => Promise<ConnectionReport[]>;
}

/**
 * Every tenant of a deployment, from the config `factory deploy` embedded, once the platform has
 * resolved its secret references. The same code runs on Lambda and on Workers.
 */
export function deploymentTenants(
  deployment: FactoryDeployment,
  wiring: DeploymentWiring,
): StaticTenantRegistry {
  if (deployment.format !== DEPLOYMENT_FORMAT)
    throw new Error(
      `this deployment was made for ${String(deployment.format)}, not ${DEPLOYMENT_FORMAT}: build it again with the same factory CLI as its packages`,
    );
  return new StaticTenantRegistry(deployment.tenants.map((tenant) => deployedTenant(tenant, wiring)));
}

function deployedTenant(config: DeployedTenant, wiring: DeploymentWiring): TenantRuntime {
  const logger = wiring.logger ?? silentLogger;
  const roles = tenantRoles(config, { logger });
  const fleet = fleetOf(config);
  const factory = createFactory({
    tenant: config.id,
    settings: settingsOf(config),
    ...(wiring.metrics ? { metrics: wiring.metrics } : {}),
    ports: {
      store: wiring.store,
      workItems: roles.workItems,
      clarifications: roles.clarifications,
      outputs: roles.outputs,
      fleet: fleet.fleet,
      triage: triageOf(config, wiring, logger),
      template: new DefaultTaskTemplate({
        ...(config.template.text !== undefined ? { text: config.template.text } : {}),
        ...(config.template.branchPrefix !== undefined ? { branchPrefix: config.template.branchPrefix } : {}),
      }),
      logger,
    },
  });
  const runtime = roles.tenant(factory);
  const connections = wiring.cacheConnections
    ? wiring.cacheConnections(config.id, () => runtime.connections())
    : runtime.connections;
  return {
    ...runtime,
    sources: new Map([
      ...runtime.sources,
      ...fleet.sources.map((source) => [source.source, source] as const),
    ]),
    connections,
    ...(config.adminToken ? { adminToken: config.adminToken } : {}),
  };
}

/** The remote fleet the tenant's `fleet:` block selects, with the source its exits come back through. */
function fleetOf(config: DeployedTenant): { fleet: FleetClient; sources: WebhookSource[] } {
  const fleet = config.fleet;
  if (!fleet)
    throw new Error(`tenant ${config.id}: a deployment needs a remote fleet (type http or github-actions)`);
  switch (fleet.type) {
    case 'http':
      return {
        fleet: new HttpFleet({
          url: fleet.url,
          secret: fleet.secret,
          ...(fleet.timeout !== undefined ? { retry: { timeoutMs: fleet.timeout } } : {}),
        }),
        sources: [new FleetWebhookSource({ secret: fleet.secret })],
      };
    case 'github-actions': {
      if (!fleet.token)
        throw new Error(`tenant ${config.id}: the github-actions fleet needs fleet.token in a deployment`);
      return {
        fleet: new GithubActionsFleet({
          token: fleet.token,
          workflow: fleet.workflow,
          ...(fleet.ref ? { ref: fleet.ref } : {}),
          ...(fleet.repository ? { repository: fleet.repository } : {}),
          ...(fleet.baseUrl ? { baseUrl: fleet.baseUrl } : {}),
        }),
        sources: fleet.webhookSecret ? [new WorkflowRunWebhookSource({ secret: fleet.webhookSecret })] : [],
      };
    }
    default:
      // The deploy command refuses these with the config's line and column; this keeps a hand-edited
      // deployment from starting half-wired.
      throw new Error(
        `tenant ${config.id}: fleet type "${fleet.type}" cannot run in a serverless deployment`,
      );
  }
}

function triageOf(config: DeployedTenant, wiring: DeploymentWiring, logger: Logger): Triage {
  if (config.triage.type === 'rules') return new RuleTriage(config.routes);
  if (!wiring.createTriage)
    throw new Error(
      `tenant ${config.id}: a model triage needs createTriage from @software-factory/llm-triage (generate the entry again with factory deploy)`,
    );
  return wiring.createTriage(config.triage, config.routes, { logger });
}

/** The tenant's factory settings: the config keys the core's settings schema declares. */
function settingsOf(config: DeployedTenant): FactorySettingsInput {
  const settings: Record<string, unknown> = {};
  for (const key of Object.keys(factorySettingsSchema.shape))
    settings[key] = config[key as keyof DeployedTenant];
  return settings as FactorySettingsInput;
}
