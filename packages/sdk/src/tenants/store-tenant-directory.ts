import { isTenantId } from '../ingress/tenants.ts';
import { type Clock, systemClock } from '../ports/clock.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { StoredTenant, TenantDirectory } from '../ports/tenant-directory.ts';

/**
 * The StateStore scope of what belongs to the deployment rather than to one tenant. No tenant id can
 * start with `_` (`TENANT_ID_PATTERN`), so it never collides with a tenant's own documents.
 */
export const DEPLOYMENT_SCOPE = '_deployment';
/** The document, under `DEPLOYMENT_SCOPE`, that lists the stored tenants: `{ ids: string[] }`, sorted. */
export const TENANT_INDEX_DOCUMENT = 'tenants';
/** The document, under the tenant's own id, that holds its stored config; `null` once removed. */
export const TENANT_CONFIG_DOCUMENT = 'tenant-config';

/** How often a compare-and-set that another writer won is tried again before giving up. */
const MAX_ATTEMPTS = 16;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What the tenant's document holds; the id is the document's scope, so a copied document cannot claim one. */
interface TenantDocumentValue {
  config: Record<string, unknown>;
  adminTokenSha256: string;
  createdAt: number;
  updatedAt: number;
}

/**
 * A `TenantDirectory` over the deployment's StateStore, for any store that passes the StateStore
 * conformance suite. Each tenant is one document under its own id (`tenant-config`, a tombstone `null`
 * once removed, so versions keep growing and a stale compare-and-set never lands); the list of ids is one
 * document under `DEPLOYMENT_SCOPE`. A store has no multi-item transactions, so the two writes are
 * ordered to be repairable: `create` writes the tenant before listing it, and a second `create` of an
 * existing tenant lists it if a crash left it out; `remove` unlists before it tombstones, and a second
 * `remove` finishes the job.
 *
 * `StoredTenant.version` is the document's version: it grows with every change (a new admin token too)
 * and does not restart when a removed id is created again.
 */
export class StoreTenantDirectory implements TenantDirectory {
  readonly #store: StateStore;
  readonly #clock: Clock;

  constructor(store: StateStore, clock: Clock = systemClock) {
    if (!store || typeof store.getDocument !== 'function' || typeof store.putDocument !== 'function') {
      throw new Error('StoreTenantDirectory: a StateStore is required');
    }
    this.#store = store;
    this.#clock = clock;
  }

  async list(): Promise<string[]> {
    return (await this.#readIndex()).ids;
  }

  async get(id: string): Promise<StoredTenant | undefined> {
    checkId(id);
    return (await this.#read(id))?.tenant;
  }

  async create(
    id: string,
    config: Record<string, unknown>,
    adminTokenSha256: string,
  ): Promise<StoredTenant | 'exists'> {
    checkId(id);
    checkConfig(config);
    checkHash(adminTokenSha256);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#read(id);
      if (current?.tenant) {
        await this.#addToIndex(id);
        return 'exists';
      }
      const now = this.#clock.now();
      const value: TenantDocumentValue = { config, adminTokenSha256, createdAt: now, updatedAt: now };
      const expected = current?.version ?? 0;
      if (await this.#store.putDocument(id, TENANT_CONFIG_DOCUMENT, value, expected)) {
        await this.#addToIndex(id);
        return storedTenant(id, value, expected + 1);
      }
    }
    throw contention('create', id);
  }

  async update(
    id: string,
    config: Record<string, unknown>,
    expectedVersion: number,
  ): Promise<StoredTenant | 'conflict' | 'absent'> {
    checkId(id);
    checkConfig(config);
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new Error('update: expectedVersion must be the version of the stored tenant that was read');
    }
    const current = await this.#read(id);
    if (!current?.tenant) return 'absent';
    if (current.version !== expectedVersion) return 'conflict';
    const value: TenantDocumentValue = {
      ...documentValue(current.tenant),
      config,
      updatedAt: this.#clock.now(),
    };
    if (await this.#store.putDocument(id, TENANT_CONFIG_DOCUMENT, value, expectedVersion)) {
      return storedTenant(id, value, expectedVersion + 1);
    }
    return (await this.#read(id))?.tenant ? 'conflict' : 'absent';
  }

  async replaceAdminToken(id: string, adminTokenSha256: string): Promise<StoredTenant | 'absent'> {
    checkId(id);
    checkHash(adminTokenSha256);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#read(id);
      if (!current?.tenant) return 'absent';
      const value: TenantDocumentValue = {
        ...documentValue(current.tenant),
        adminTokenSha256,
        updatedAt: this.#clock.now(),
      };
      if (await this.#store.putDocument(id, TENANT_CONFIG_DOCUMENT, value, current.version)) {
        return storedTenant(id, value, current.version + 1);
      }
    }
    throw contention('replace the admin token of', id);
  }

  async remove(id: string): Promise<boolean> {
    checkId(id);
    await this.#removeFromIndex(id);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#read(id);
      if (!current?.tenant) return false;
      if (await this.#store.putDocument(id, TENANT_CONFIG_DOCUMENT, null, current.version)) return true;
    }
    throw contention('remove', id);
  }

  /** The tenant's document: its version, and the tenant unless it is a tombstone. */
  async #read(id: string): Promise<{ version: number; tenant?: StoredTenant } | undefined> {
    const document = await this.#store.getDocument(id, TENANT_CONFIG_DOCUMENT);
    if (!document) return undefined;
    if (document.value === null) return { version: document.version };
    if (!isTenantDocumentValue(document.value)) {
      throw new Error(`the stored tenant ${id} is not a tenant document; it was written by something else`);
    }
    return { version: document.version, tenant: storedTenant(id, document.value, document.version) };
  }

  async #readIndex(): Promise<{ ids: string[]; version: number }> {
    const document = await this.#store.getDocument(DEPLOYMENT_SCOPE, TENANT_INDEX_DOCUMENT);
    if (!document) return { ids: [], version: 0 };
    const value = document.value as { ids?: unknown } | null;
    if (
      typeof value !== 'object' ||
      value === null ||
      !Array.isArray(value.ids) ||
      !value.ids.every(isTenantId)
    ) {
      throw new Error(
        `the tenant list (${DEPLOYMENT_SCOPE}/${TENANT_INDEX_DOCUMENT}) is not a list of tenant ids; it was written by something else`,
      );
    }
    return { ids: [...value.ids], version: document.version };
  }

  async #addToIndex(id: string): Promise<void> {
    await this.#changeIndex(id, (ids) => (ids.includes(id) ? undefined : [...ids, id].sort()));
  }

  async #removeFromIndex(id: string): Promise<void> {
    await this.#changeIndex(id, (ids) =>
      ids.includes(id) ? ids.filter((other) => other !== id) : undefined,
    );
  }

  /** Applies `change` to the list with compare-and-set; `change` answers undefined when there is nothing to do. */
  async #changeIndex(id: string, change: (ids: string[]) => string[] | undefined): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const index = await this.#readIndex();
      const ids = change(index.ids);
      if (!ids) return;
      if (await this.#store.putDocument(DEPLOYMENT_SCOPE, TENANT_INDEX_DOCUMENT, { ids }, index.version))
        return;
    }
    throw contention('change the tenant list for', id);
  }
}

function storedTenant(id: string, value: TenantDocumentValue, version: number): StoredTenant {
  return {
    id,
    config: value.config,
    version,
    adminTokenSha256: value.adminTokenSha256,
    createdAt: value.createdAt,
    updatedAt: value.updatedAt,
  };
}

function documentValue(tenant: StoredTenant): TenantDocumentValue {
  return {
    config: tenant.config,
    adminTokenSha256: tenant.adminTokenSha256,
    createdAt: tenant.createdAt,
    updatedAt: tenant.updatedAt,
  };
}

function isTenantDocumentValue(value: unknown): value is TenantDocumentValue {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    isPlainObject(candidate.config) &&
    typeof candidate.adminTokenSha256 === 'string' &&
    typeof candidate.createdAt === 'number' &&
    typeof candidate.updatedAt === 'number'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkId(id: string): void {
  if (!isTenantId(id)) {
    throw new Error(
      'invalid tenant id: letters, digits, - and _, at most 64 characters, starting with a letter or digit',
    );
  }
}

function checkConfig(config: Record<string, unknown>): void {
  if (!isPlainObject(config)) throw new Error('a stored tenant config must be an object');
}

function checkHash(hash: string): void {
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
    throw new Error('adminTokenSha256 must be the SHA-256 of the admin token, as 64 lowercase hex digits');
  }
}

function contention(action: string, id: string): Error {
  return new Error(
    `cannot ${action} tenant ${id}: other writers changed it ${MAX_ATTEMPTS} times in a row; try again`,
  );
}
