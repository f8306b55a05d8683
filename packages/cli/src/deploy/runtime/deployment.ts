import type { TenantConfig } from '../../config/config-schema.ts';

/** The format of the config a deployment carries, so a runtime can refuse one it does not know. */
export const DEPLOYMENT_FORMAT = 'factory-deployment/1';

/** A tenant as a deployment carries it: the validated config, its secret fields holding references. */
export type DeployedTenant = TenantConfig;

/**
 * What `factory deploy` embeds in the bundle it builds (as JSON): the validated config of every tenant
 * and the deployment-wide settings the serverless runtimes use. Secret fields hold references
 * (`${NAME}`, `${ssm:…}`, `${secretsmanager:…}`), never values; the platform resolves them at start.
 */
export interface FactoryDeployment {
  format: typeof DEPLOYMENT_FORMAT;
  target: 'aws' | 'cloudflare';
  /** Reported by `GET /healthz`: the CLI's version and a hash of this deployment. */
  version: string;
  server: {
    /** Where clients reach the deployment (a custom domain); accepted as the origin of form posts. */
    publicUrl?: string;
    /** Opens every tenant's detail at `GET /healthz`; a reference. */
    operatorToken?: string;
    /** The key of the tokens signed in to on the deployment (`factory connect --remote`); a reference. */
    credentialsKey?: string;
    /** The OAuth apps those sign-ins use, by provider type; each client secret a reference. */
    oauthApps?: Record<string, { clientId: string; clientSecret?: string }>;
  };
  /** The dashboard's link to a run's trace: an https URL with `{traceId}` where the id goes. */
  observability?: { traceUrl?: string };
  tenants: DeployedTenant[];
}
