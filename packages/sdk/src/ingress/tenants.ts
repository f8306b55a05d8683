import type { Factory } from '../factory.ts';
import type { ConnectionStatus } from '../ports/connection.ts';
import type { WebhookSource } from './webhook-source.ts';

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
  /** Opens the read-only dashboard, status and metrics at `/t/:tenant/`; they are off without it. */
  adminToken?: string;
}

/** Where a deployment finds its tenants. */
export interface TenantRegistry {
  get(tenantId: string): Promise<TenantRuntime | undefined>;
  list(): Promise<string[]>;
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
