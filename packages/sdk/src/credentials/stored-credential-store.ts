import * as z from 'zod/mini';
import { SealError, SealedBox } from '../crypto/sealed-box.ts';
import { isTenantId } from '../ingress/tenants.ts';
import type { Credential, VersionedCredentialStore } from '../ports/credential-store.ts';
import type { StateStore } from '../ports/state-store.ts';

/** The tenant document that holds one provider's credential. */
export function credentialDocumentName(provider: string): string {
  return `credential:${provider}`;
}

/** What a stored credential is bound to: a record copied to another tenant or provider does not open. */
export function credentialSealContext(tenant: string, provider: string): readonly string[] {
  return ['credential', tenant, provider];
}

/** How often `put` and `delete` retry a compare-and-set that another writer won. */
const MAX_ATTEMPTS = 8;

const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$/;

const credentialSchema = z.object({
  accessToken: z.string().check(z.minLength(1)),
  refreshToken: z.optional(z.string().check(z.minLength(1))),
  expiresAt: z.optional(z.number()),
  scopes: z.array(z.string()),
  tokenType: z.optional(z.string()),
  resource: z.optional(z.object({ id: z.string().check(z.minLength(1)), url: z.optional(z.string()) })),
});

/**
 * Per-tenant credentials in the deployment's StateStore, each sealed with the deployment key
 * (`SealedBox`) and bound to its tenant and provider. One tenant document per provider
 * (`credential:<provider>`); a deleted credential is the value `null` (a tombstone: the StateStore has
 * no delete, and the version keeps growing, so a stale compare-and-set never lands on a re-created one).
 *
 * `replace` with expected version 0 means "no credential stored": never written, or deleted; against a
 * tombstone it compares with the tombstone's version, so a concurrent writer still wins the race.
 */
export class StoredCredentialStore implements VersionedCredentialStore {
  readonly #store: StateStore;
  readonly #box: SealedBox;

  constructor(store: StateStore, box: SealedBox) {
    if (!store || typeof store.getDocument !== 'function' || typeof store.putDocument !== 'function') {
      throw new Error('StoredCredentialStore: a StateStore is required');
    }
    if (!(box instanceof SealedBox)) throw new Error('StoredCredentialStore: a SealedBox is required');
    this.#store = store;
    this.#box = box;
  }

  async get(tenant: string, provider: string): Promise<Credential | undefined> {
    return (await this.read(tenant, provider))?.credential;
  }

  async read(
    tenant: string,
    provider: string,
  ): Promise<{ credential: Credential; version: number } | undefined> {
    checkNames(tenant, provider);
    const document = await this.#store.getDocument(tenant, credentialDocumentName(provider));
    if (!document || document.value === null) return undefined;
    return { credential: await this.#open(document.value, tenant, provider), version: document.version };
  }

  async put(tenant: string, provider: string, credential: Credential): Promise<void> {
    checkNames(tenant, provider);
    const sealed = await this.#seal(credential, tenant, provider);
    const name = credentialDocumentName(provider);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#store.getDocument(tenant, name);
      if (await this.#store.putDocument(tenant, name, sealed, current?.version ?? 0)) return;
    }
    throw new Error(
      `cannot store the ${provider} credential of tenant ${tenant}: other writers changed it ${MAX_ATTEMPTS} times in a row; try again`,
    );
  }

  async replace(
    tenant: string,
    provider: string,
    credential: Credential,
    expectedVersion: number,
  ): Promise<boolean> {
    checkNames(tenant, provider);
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new Error('replace: expectedVersion must be a non-negative integer');
    }
    const sealed = await this.#seal(credential, tenant, provider);
    const name = credentialDocumentName(provider);
    let compareWith = expectedVersion;
    if (expectedVersion === 0) {
      const current = await this.#store.getDocument(tenant, name);
      if (current && current.value !== null) return false;
      compareWith = current?.version ?? 0;
    }
    return this.#store.putDocument(tenant, name, sealed, compareWith);
  }

  async delete(tenant: string, provider: string): Promise<void> {
    checkNames(tenant, provider);
    const name = credentialDocumentName(provider);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.#store.getDocument(tenant, name);
      if (!current || current.value === null) return;
      if (await this.#store.putDocument(tenant, name, null, current.version)) return;
    }
    throw new Error(
      `cannot delete the ${provider} credential of tenant ${tenant}: other writers changed it ${MAX_ATTEMPTS} times in a row; try again`,
    );
  }

  async #seal(credential: Credential, tenant: string, provider: string) {
    const parsed = credentialSchema.safeParse(credential);
    if (!parsed.success) {
      throw new Error(
        `cannot store the ${provider} credential of tenant ${tenant}: ${problems(parsed.error)}`,
      );
    }
    return this.#box.seal(JSON.stringify(parsed.data), credentialSealContext(tenant, provider));
  }

  async #open(value: unknown, tenant: string, provider: string): Promise<Credential> {
    let text: string;
    try {
      text = await this.#box.open(value, credentialSealContext(tenant, provider));
    } catch (error) {
      if (!(error instanceof SealError)) throw error;
      throw new Error(
        `the stored ${provider} credential of tenant ${tenant} does not decrypt: it was sealed for another tenant or provider, or with another deployment key`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = credentialSchema.safeParse(json);
    if (!parsed.success) {
      throw new Error(
        `the stored ${provider} credential of tenant ${tenant} is not a credential: ${problems(parsed.error)}`,
      );
    }
    return withoutUndefined(parsed.data);
  }
}

function checkNames(tenant: string, provider: string): void {
  if (!isTenantId(tenant)) throw new Error('credential store: invalid tenant id');
  if (typeof provider !== 'string' || !PROVIDER_NAME.test(provider)) {
    throw new Error('credential store: invalid provider name');
  }
}

/** The paths of the problems, never the values (they may be tokens). */
function problems(error: z.core.$ZodError): string {
  return `invalid ${[...new Set(error.issues.map((issue) => issue.path.join('.') || 'credential'))].join(', ')}`;
}

function withoutUndefined(credential: z.infer<typeof credentialSchema>): Credential {
  return JSON.parse(JSON.stringify(credential)) as Credential;
}
