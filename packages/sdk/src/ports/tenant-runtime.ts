import type { Factory } from '../factory.ts';
import type { ConnectionReport } from './connection.ts';
import type { RemoteConnector } from './remote-connect.ts';
import type { WebhookSource } from './webhook-source.ts';

/** Everything the HTTP app and the tick need for one tenant. */
export interface TenantRuntime {
  id: string;
  factory: Factory;
  /** Webhook sources by their route segment. */
  sources: ReadonlyMap<string, WebhookSource>;
  /** The connection of every declared provider; the runtime may cache it. */
  connections(): Promise<ConnectionReport[]>;
  /**
   * Opens the read-only dashboard, status, metrics and `/t/:tenant/healthz`; they are off without it.
   * At least `MIN_ADMIN_TOKEN_LENGTH` (32) characters: the HTTP app refuses a shorter one (the views
   * stay off and the refusal is logged).
   */
  adminToken?: string;
  /**
   * The SHA-256 (hex) of the admin token, for a tenant whose token is kept only as a hash (a tenant
   * added through the admin API); used when `adminToken` is absent.
   */
  adminTokenSha256?: string;
  /** Where the tenant was defined: the deployment's config (file or bundle), or the admin API's store. */
  origin?: 'config' | 'store';
  /** Runs sign-ins on the deployed app (`factory connect --remote`); absent where there is no deployment key. */
  connector?: RemoteConnector;
}

/** Where a deployment finds its tenants. */
export interface TenantRegistry {
  get(tenantId: string): Promise<TenantRuntime | undefined>;
  list(): Promise<string[]>;
}
