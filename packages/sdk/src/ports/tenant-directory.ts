/** A tenant kept as data in the deployment's store: its config as written (secrets only as references). */
export interface StoredTenant {
  id: string;
  /** The tenant's config exactly as it was accepted (the `factory.config.yaml` schema, JSON). */
  config: Record<string, unknown>;
  /** From 1; every accepted change adds one. */
  version: number;
  /** SHA-256 (hex) of the tenant's admin token; the token itself is shown once, when it is issued. */
  adminTokenSha256: string;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

/**
 * Where a deployment keeps the tenants it was given as data (the admin API's), next to their state.
 * Every change is a compare-and-set, so two instances (or two operators) never overwrite each other.
 */
export interface TenantDirectory {
  /** The ids of every stored tenant. */
  list(): Promise<string[]>;
  get(id: string): Promise<StoredTenant | undefined>;
  /** Stores a new tenant; `exists` when one with this id is stored. */
  create(
    id: string,
    config: Record<string, unknown>,
    adminTokenSha256: string,
  ): Promise<StoredTenant | 'exists'>;
  /** Replaces the config only if the stored version is `expectedVersion`; `conflict` if not, `absent` if none. */
  update(
    id: string,
    config: Record<string, unknown>,
    expectedVersion: number,
  ): Promise<StoredTenant | 'conflict' | 'absent'>;
  /** Replaces the admin token's hash (a new token was issued); `absent` if there is no such tenant. */
  replaceAdminToken(id: string, adminTokenSha256: string): Promise<StoredTenant | 'absent'>;
  /** Removes the tenant from the directory; false if it was not there. */
  remove(id: string): Promise<boolean>;
}
