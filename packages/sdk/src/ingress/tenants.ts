import type { Factory } from '../factory.ts';
import type { AdminApiOptions } from '../http/admin-api.ts';
import type { ConnectionStatus } from '../ports/connection.ts';
import type { RemoteConnector } from '../ports/remote-connect.ts';
import type { WebhookSource } from './webhook-source.ts';

/**
 * The one shape of a tenant id: letters, digits, `-` and `_`, at most 64, starting with a letter or
 * digit. Every route checks the `:tenant` segment against it before the id is used anywhere (a lookup,
 * a cookie path, a log line), and config schemas validate with it.
 */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** True when `value` is a well-formed tenant id (see `TENANT_ID_PATTERN`). */
export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID_PATTERN.test(value);
}

/** The shortest admin (or operator) token the HTTP app accepts: 32 characters. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** The role a provider plays for a tenant. */
export type ProviderRole = 'intake' | 'clarification' | 'output' | 'fleet' | 'events';

export interface ConnectionReport {
  provider: string;
  role: ProviderRole;
  status: ConnectionStatus;
}

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

/**
 * A registry that carries the admin API over its tenants (`admin`, as `createFactoryApp` takes it), as
 * `deploymentTenants` returns one: a runtime given such a registry mounts its admin API too.
 */
export interface AdministeredRegistry extends TenantRegistry {
  readonly admin?: AdminApiOptions;
}

/** A fixed set of tenants, built once (from config at start-up, or in tests). */
export class StaticTenantRegistry implements TenantRegistry {
  readonly #tenants: Map<string, TenantRuntime>;

  constructor(tenants: Iterable<TenantRuntime>) {
    this.#tenants = new Map([...tenants].map((tenant) => [tenant.id, tenant]));
  }

  async get(tenantId: string): Promise<TenantRuntime | undefined> {
    return this.#tenants.get(tenantId);
  }

  async list(): Promise<string[]> {
    return [...this.#tenants.keys()];
  }
}

/** Why a tenant must not process work: a declared provider is not connected. Undefined when all are. */
export function refusalReason(reports: readonly ConnectionReport[]): string | undefined {
  const broken = reports.filter(
    (report) => report.status.state === 'needs-auth' || report.status.state === 'missing-scopes',
  );
  if (broken.length === 0) return undefined;
  return broken
    .map((report) =>
      report.status.state === 'missing-scopes'
        ? `${report.provider} (${report.role}) is missing scopes ${report.status.missing.join(', ')}; run \`factory connect ${report.provider}\``
        : `${report.provider} (${report.role}) needs authorisation; run \`factory connect ${report.provider}\``,
    )
    .join('; ');
}
