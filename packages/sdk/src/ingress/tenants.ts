import type { TenantRegistry, TenantRuntime } from '../ports/tenant-runtime.ts';

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
