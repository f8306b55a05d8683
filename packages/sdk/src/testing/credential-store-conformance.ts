import { describe, expect, it } from 'vitest';
import {
  type Credential,
  type CredentialStore,
  isVersionedCredentialStore,
} from '../ports/credential-store.ts';

/** A store to check, and how to clean up after it (close a connection, remove a folder). */
export interface OpenedCredentialStore {
  store: CredentialStore;
  close?: () => Promise<void>;
}

export type CredentialStoreOpener = () => Promise<OpenedCredentialStore>;

export interface CredentialStoreCheck {
  name: string;
  /** Only for stores that can compare-and-set (`isVersionedCredentialStore`). */
  versioned?: boolean;
  run(store: CredentialStore): Promise<void>;
}

/** Fresh tenant ids per check, so a store shared between checks still starts empty for each. */
let tenantCounter = 0;
function tenants(): [string, string] {
  tenantCounter += 1;
  const salt = `${Date.now().toString(36)}-${tenantCounter}-${Math.random().toString(36).slice(2, 8)}`;
  return [`tenant-a-${salt}`, `tenant-b-${salt}`];
}

function token(label: string): Credential {
  return { accessToken: `access-${label}-0123456789abcdef`, scopes: ['read'] };
}

const everyField: Credential = {
  accessToken: 'access-every-field-0123456789abcdef',
  refreshToken: 'refresh-every-field-0123456789abcdef',
  expiresAt: 1_767_225_600_000,
  scopes: ['read', 'write', 'admin:org'],
  tokenType: 'bearer',
  resource: { id: '1324a887-45db-1bf4-1e99-ef0ff456d421', url: 'https://example.invalid/site' },
};

function versioned(store: CredentialStore) {
  if (!isVersionedCredentialStore(store)) throw new Error('not a versioned credential store');
  return store;
}

/** Every behaviour a CredentialStore must have, as plain checks. */
export const credentialStoreChecks: readonly CredentialStoreCheck[] = [
  {
    name: 'a stored credential reads back equal, and one never stored reads as undefined',
    async run(store) {
      const [tenant] = tenants();
      expect(await store.get(tenant, 'tracker')).toBeUndefined();
      await store.put(tenant, 'tracker', token('first'));
      expect(await store.get(tenant, 'tracker')).toStrictEqual(token('first'));
    },
  },
  {
    name: 'a credential with every optional field reads back with every field',
    async run(store) {
      const [tenant] = tenants();
      await store.put(tenant, 'tracker', everyField);
      expect(await store.get(tenant, 'tracker')).toStrictEqual(everyField);
    },
  },
  {
    name: 'put overwrites the credential stored before',
    async run(store) {
      const [tenant] = tenants();
      await store.put(tenant, 'tracker', everyField);
      await store.put(tenant, 'tracker', token('second'));
      expect(await store.get(tenant, 'tracker')).toStrictEqual(token('second'));
    },
  },
  {
    name: 'delete removes the credential; deleting nothing is fine; a deleted one can be stored again',
    async run(store) {
      const [tenant] = tenants();
      await store.put(tenant, 'tracker', token('first'));
      await store.delete(tenant, 'tracker');
      expect(await store.get(tenant, 'tracker')).toBeUndefined();
      await expect(store.delete(tenant, 'tracker')).resolves.toBeUndefined();
      await expect(store.delete(tenant, 'never-stored')).resolves.toBeUndefined();
      await store.put(tenant, 'tracker', token('again'));
      expect(await store.get(tenant, 'tracker')).toStrictEqual(token('again'));
    },
  },
  {
    name: 'tenants are isolated: one tenant neither sees nor changes another tenant’s credential',
    async run(store) {
      const [a, b] = tenants();
      await store.put(a, 'tracker', token('a'));
      expect(await store.get(b, 'tracker')).toBeUndefined();
      await store.put(b, 'tracker', token('b'));
      expect(await store.get(a, 'tracker')).toStrictEqual(token('a'));
      await store.delete(b, 'tracker');
      expect(await store.get(a, 'tracker')).toStrictEqual(token('a'));
    },
  },
  {
    name: 'providers are isolated: one provider’s credential is not another’s',
    async run(store) {
      const [tenant] = tenants();
      await store.put(tenant, 'tracker', token('tracker'));
      expect(await store.get(tenant, 'chat')).toBeUndefined();
      await store.put(tenant, 'chat', token('chat'));
      await store.delete(tenant, 'chat');
      expect(await store.get(tenant, 'tracker')).toStrictEqual(token('tracker'));
    },
  },
  {
    name: 'read returns the credential with a version that grows with every write',
    versioned: true,
    async run(plain) {
      const store = versioned(plain);
      const [tenant] = tenants();
      expect(await store.read(tenant, 'tracker')).toBeUndefined();
      await store.put(tenant, 'tracker', token('first'));
      const first = await store.read(tenant, 'tracker');
      expect(first?.credential).toStrictEqual(token('first'));
      expect(first?.version).toBeGreaterThanOrEqual(1);
      await store.put(tenant, 'tracker', token('second'));
      const second = await store.read(tenant, 'tracker');
      expect(second?.credential).toStrictEqual(token('second'));
      expect(second?.version).toBeGreaterThan(first?.version ?? Number.POSITIVE_INFINITY);
      await store.delete(tenant, 'tracker');
      expect(await store.read(tenant, 'tracker')).toBeUndefined();
      await store.put(tenant, 'tracker', token('third'));
      expect((await store.read(tenant, 'tracker'))?.version).toBeGreaterThan(
        second?.version ?? Number.POSITIVE_INFINITY,
      );
    },
  },
  {
    name: 'replace stores only over the expected version; a stale version changes nothing',
    versioned: true,
    async run(plain) {
      const store = versioned(plain);
      const [tenant] = tenants();
      await store.put(tenant, 'tracker', token('first'));
      const first = await store.read(tenant, 'tracker');
      if (!first) throw new Error('the stored credential did not read back');
      expect(await store.replace(tenant, 'tracker', token('second'), first.version)).toBe(true);
      expect(await store.get(tenant, 'tracker')).toStrictEqual(token('second'));
      expect(await store.replace(tenant, 'tracker', token('stale'), first.version)).toBe(false);
      expect(await store.get(tenant, 'tracker')).toStrictEqual(token('second'));
    },
  },
  {
    name: 'replace with expected version 0 stores only when no credential is stored (never, or deleted)',
    versioned: true,
    async run(plain) {
      const store = versioned(plain);
      const [tenant] = tenants();
      expect(await store.replace(tenant, 'tracker', token('first'), 0)).toBe(true);
      expect(await store.replace(tenant, 'tracker', token('second'), 0)).toBe(false);
      expect(await store.get(tenant, 'tracker')).toStrictEqual(token('first'));
      await store.delete(tenant, 'tracker');
      expect(await store.replace(tenant, 'tracker', token('after delete'), 0)).toBe(true);
      expect(await store.get(tenant, 'tracker')).toStrictEqual(token('after delete'));
    },
  },
  {
    name: 'of two concurrent replaces with one expected version exactly one stores',
    versioned: true,
    async run(plain) {
      const store = versioned(plain);
      const [tenant] = tenants();
      await store.put(tenant, 'tracker', token('first'));
      const { version } = (await store.read(tenant, 'tracker')) ?? { version: -1 };
      const results = await Promise.all([
        store.replace(tenant, 'tracker', token('left'), version),
        store.replace(tenant, 'tracker', token('right'), version),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results[0] ? 'left' : 'right';
      expect(await store.get(tenant, 'tracker')).toStrictEqual(token(winner));
    },
  },
];

/**
 * Registers the CredentialStore conformance suite. A store that compares and sets says so with
 * `{ versioned: true }`, and its compare-and-set checks are registered too; the suite checks the claim
 * either way. `open` is called once per check, and its `close` after it:
 *
 *   credentialStoreConformance('StoredCredentialStore', async () => ({
 *     store: new StoredCredentialStore(new InMemoryStateStore(), box),
 *   }), { versioned: true });
 */
export function credentialStoreConformance(
  name: string,
  open: CredentialStoreOpener,
  options: { versioned?: boolean } = {},
): void {
  const versioned = options.versioned ?? false;
  describe(`${name} conforms to CredentialStore`, () => {
    it(versioned ? 'is a VersionedCredentialStore' : 'is a plain CredentialStore, as declared', async () => {
      const opened = await open();
      try {
        expect(isVersionedCredentialStore(opened.store)).toBe(versioned);
      } finally {
        await opened.close?.();
      }
    });
    for (const check of credentialStoreChecks) {
      if (check.versioned && !versioned) continue;
      it(check.name, async () => {
        const opened = await open();
        try {
          await check.run(opened.store);
        } finally {
          await opened.close?.();
        }
      });
    }
  });
}
