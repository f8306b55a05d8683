import { GithubActionsFleet, WorkflowRunWebhookSource } from '@software-factory/fleets/github-actions';
import { githubAppAuthOf, githubAppTokenFunction } from '@software-factory/providers/registry';
import type { FleetClient, WebhookSource } from '@software-factory/sdk';
import type { DeployedTenant } from './deployment.ts';

/** A deployed tenant's `fleet:` block when it is a github-actions fleet. */
export type GithubActionsFleetConfig = Extract<
  NonNullable<DeployedTenant['fleet']>,
  { type: 'github-actions' }
>;

/**
 * The github-actions fleet of a deployed tenant, with the source its workflow runs report through. The
 * entry `factory deploy` generates passes it (`DeploymentWiring.githubActionsFleet`) only when a tenant
 * uses that fleet, so a bundle whose tenants do not carries none of its code.
 */
export function githubActionsFleet(
  tenant: string,
  fleet: GithubActionsFleetConfig,
): { fleet: FleetClient; sources: WebhookSource[] } {
  // A deployment's App is written in its config (appId and privateKey as references).
  const app =
    fleet.app?.appId !== undefined
      ? githubAppAuthOf(
          fleet.app,
          {},
          { provider: 'github', ...(fleet.baseUrl ? { baseUrl: fleet.baseUrl } : {}) },
        )
      : undefined;
  const token = app ? githubAppTokenFunction(app) : fleet.token;
  if (!token)
    throw new Error(
      `tenant ${tenant}: the github-actions fleet needs fleet.token or fleet.app { appId, privateKey } in a deployment`,
    );
  return actionsFleetWith(token, fleet);
}

/** The fleet and its workflow-run source, once the token is settled (a deployment's, or `factory start`'s). */
export function actionsFleetWith(
  token: ConstructorParameters<typeof GithubActionsFleet>[0]['token'],
  fleet: Pick<GithubActionsFleetConfig, 'workflow' | 'ref' | 'repository' | 'baseUrl' | 'webhookSecret'>,
): { fleet: FleetClient; sources: WebhookSource[] } {
  return {
    fleet: new GithubActionsFleet({
      token,
      workflow: fleet.workflow,
      ...(fleet.ref ? { ref: fleet.ref } : {}),
      ...(fleet.repository ? { repository: fleet.repository } : {}),
      ...(fleet.baseUrl ? { baseUrl: fleet.baseUrl } : {}),
    }),
    sources: fleet.webhookSecret ? [new WorkflowRunWebhookSource({ secret: fleet.webhookSecret })] : [],
  };
}
