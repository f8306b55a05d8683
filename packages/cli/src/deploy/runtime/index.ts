/**
 * `@software-factory/cli/deployment`: what the entries `factory deploy` generates import to build their
 * tenants. Runtime-neutral (Node, Lambda, Workers): nothing here touches the file system or a process.
 */

// The entries scrub the secrets they resolved from their logs.
export { resolvedSecretValues } from '@software-factory/sdk';
export { DEPLOYMENT_FORMAT, type DeployedTenant, type FactoryDeployment } from './deployment.ts';
export {
  type DeploymentTenants,
  type DeploymentWiring,
  deploymentTenants,
  type TenantsAsDataOptions,
  type TriageFactory,
  tenantsAsData,
} from './deployment-tenants.ts';
export { type GithubActionsFleetConfig, githubActionsFleet } from './github-actions-fleet.ts';
export { type RemoteTenantContext, remoteTenantIssues, type TenantIssue } from './remote-tenant-rules.ts';
export { type SignInSupport, signIns } from './sign-in-support.ts';
export { storedTokenSource } from './stored-tokens.ts';
