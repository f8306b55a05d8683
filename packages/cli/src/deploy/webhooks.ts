import { providerRegistry } from '@software-factory/providers/registry';
import { InMemoryStateStore, RuleTriage } from '@software-factory/sdk';
import type { FactoryDeployment } from './runtime/deployment.ts';
import { deploymentTenants } from './runtime/deployment-tenants.ts';

/** One webhook a vendor must be told about: where it posts for one tenant. */
export interface TenantWebhook {
  tenant: string;
  /** The route segment: linear, slack, github, fleet… */
  source: string;
  /** `/t/<tenant>/webhooks/<source>` */
  path: string;
}

/**
 * The webhooks of a deployment, read from the tenants the runtime itself builds (with references for
 * secrets and a store in memory; nothing is called), so the list is exactly what the deployment mounts.
 */
export async function deploymentWebhooks(deployment: FactoryDeployment): Promise<TenantWebhook[]> {
  // Without its key: the references are not resolved here, and listing webhooks signs no one in.
  const { credentialsKey: _key, ...server } = deployment.server;
  const registry = await deploymentTenants(
    { ...deployment, server },
    {
      store: new InMemoryStateStore(),
      // Every provider the config's modules registered; the config's tenants name no others.
      providers: providerRegistry,
      // A model triage is not built to list webhooks; its sources come from the providers.
      createTriage: (_config, routes) => new RuleTriage(routes),
    },
  );
  const webhooks: TenantWebhook[] = [];
  for (const tenant of await registry.list()) {
    const runtime = await registry.get(tenant);
    for (const source of runtime?.sources.keys() ?? [])
      webhooks.push({ tenant, source, path: `/t/${encodeURIComponent(tenant)}/webhooks/${source}` });
  }
  return webhooks;
}

/** The lines that tell which URL to register at each vendor. */
export function webhookLines(webhooks: readonly TenantWebhook[], base: string): string[] {
  const width = Math.max(...webhooks.map((webhook) => webhook.source.length));
  const tenants = [...new Set(webhooks.map((webhook) => webhook.tenant))];
  return tenants.flatMap((tenant) => [
    `  tenant ${tenant}:`,
    ...webhooks
      .filter((webhook) => webhook.tenant === tenant)
      .map((webhook) => `    ${webhook.source.padEnd(width)}  ${base}${webhook.path}`),
  ]);
}
