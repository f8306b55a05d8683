/**
 * `@software-factory/cli/deployment`: what the entries `factory deploy` generates import to build their
 * tenants. Runtime-neutral (Node, Lambda, Workers): nothing here touches the file system or a process.
 */
export { DEPLOYMENT_FORMAT, type DeployedTenant, type FactoryDeployment } from './deployment.ts';
export { type DeploymentWiring, deploymentTenants, type TriageFactory } from './deployment-tenants.ts';
export { registerProviders } from './register-providers.ts';
export { type TenantRoles, tenantRoles } from './tenant-roles.ts';
