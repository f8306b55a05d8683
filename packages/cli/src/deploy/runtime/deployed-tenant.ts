import { FleetWebhookSource, HttpFleet } from '@software-factory/fleets/http';
import { buildTenantWith, tenantSettings } from '@software-factory/providers/registry';
import {
  createFactory,
  DefaultTaskTemplate,
  type FleetClient,
  type Logger,
  RuleTriage,
  silentLogger,
  type TenantRuntime,
  type Triage,
  type WebhookSource,
} from '@software-factory/sdk';
import type { DeployedTenant } from './deployment.ts';
import type { DeploymentWiring, Keys } from './deployment-tenants.ts';

/**
 * One tenant of a deployment, from its validated config with the secrets resolved: its providers through
 * the registry, its remote fleet, its triage and template, its factory; with the deployment's keys, its
 * tokens from sign-ins and the connector that runs them. Runtime-neutral (Node, Lambda, Workers).
 */
export function deployedTenant(
  config: DeployedTenant,
  wiring: DeploymentWiring,
  keys: Keys | undefined,
): { runtime: TenantRuntime; providers: string[] } {
  const logger = wiring.logger ?? silentLogger;
  const built = buildTenantWith(wiring.providers, config, {
    tenant: config.id,
    logger,
    ...(keys
      ? {
          storedToken: (provider, oauth, spec) =>
            keys.signIns.scrubbedBy(
              logger,
              keys.signIns.storedTokenSource(
                keys.signIns,
                keys.credentials,
                config.id,
                provider,
                oauth,
                spec,
                wiring.env,
              ),
            ),
        }
      : {}),
  });
  // A deployment takes work as soon as it runs: what a provider still needs is a broken deployment.
  const [missing] = built.missing;
  if (missing)
    throw new Error(`tenant ${config.id}: ${missing.path.join('.')}: ${missing.what}; ${missing.fix}`);
  const fleet = fleetOf(config, wiring);
  const factory = createFactory({
    tenant: config.id,
    settings: tenantSettings(config),
    ...(wiring.metrics ? { metrics: wiring.metrics } : {}),
    ports: {
      store: wiring.store,
      ...built.ports,
      fleet: fleet.fleet,
      triage: triageOf(config, wiring, logger),
      template: new DefaultTaskTemplate({
        ...(config.template.text !== undefined ? { text: config.template.text } : {}),
        ...(config.template.branchPrefix !== undefined ? { branchPrefix: config.template.branchPrefix } : {}),
      }),
      logger,
      ...(wiring.clock ? { clock: wiring.clock } : {}),
    },
  });
  const runtime = built.runtime(factory, { sources: fleet.sources });
  const connections = wiring.cacheConnections
    ? wiring.cacheConnections(config.id, () => runtime.connections())
    : runtime.connections;
  const remote = keys
    ? keys.signIns.remoteProvidersWith(wiring.providers, config, built, wiring.env ?? {})
    : [];
  return {
    providers: built.connectables.map(([port]) => port.provider),
    runtime: {
      ...runtime,
      connections,
      ...(keys && remote.length > 0
        ? {
            connector: keys.signIns.createRemoteConnector({
              tenant: config.id,
              store: wiring.store,
              box: keys.box,
              credentials: keys.credentials,
              providers: remote,
              logger,
              ...(wiring.clock ? { clock: wiring.clock } : {}),
            }),
          }
        : {}),
    },
  };
}

/** An HTTP fleet and the source its agents' exits come back through (the same for every runtime). */
export function httpFleetOf(fleet: { url: string; secret: string; timeout?: number | undefined }): {
  fleet: FleetClient;
  sources: WebhookSource[];
} {
  return {
    fleet: new HttpFleet({
      url: fleet.url,
      secret: fleet.secret,
      ...(fleet.timeout !== undefined ? { retry: { timeoutMs: fleet.timeout } } : {}),
    }),
    sources: [new FleetWebhookSource({ secret: fleet.secret })],
  };
}

/** The remote fleet the tenant's `fleet:` block selects, with the source its exits come back through. */
function fleetOf(
  config: DeployedTenant,
  wiring: DeploymentWiring,
): { fleet: FleetClient; sources: WebhookSource[] } {
  const fleet = config.fleet;
  if (!fleet)
    throw new Error(`tenant ${config.id}: a deployment needs a remote fleet (type http or github-actions)`);
  switch (fleet.type) {
    case 'http':
      return httpFleetOf(fleet);
    case 'github-actions':
      if (!wiring.githubActionsFleet)
        throw new Error(
          `tenant ${config.id}: a github-actions fleet needs githubActionsFleet from @software-factory/cli/deployment (generate the entry again with factory deploy)`,
        );
      return wiring.githubActionsFleet(config.id, fleet);
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
