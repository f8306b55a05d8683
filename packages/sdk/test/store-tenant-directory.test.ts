import { describe, expect, it } from 'vitest';
import { InMemoryStateStore } from '../src/in-memory-state-store.ts';
import type { StateStore } from '../src/ports/state-store.ts';
import {
  DEPLOYMENT_SCOPE,
  StoreTenantDirectory,
  TENANT_CONFIG_DOCUMENT,
  TENANT_INDEX_DOCUMENT,
} from '../src/tenants/store-tenant-directory.ts';

const HASH = 'a'.repeat(64);
const OTHER_HASH = 'b'.repeat(64);
const config = { intake: { provider: 'tracker' } };

function setUp() {
  let now = 1_000;
  const state = new InMemoryStateStore();
  const clock = { now: () => now };
  return {
    state,
    directory: new StoreTenantDirectory(state, clock),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** A StateStore whose `putDocument` on one document throws once, as a process dying between two writes would. */
function crashingOnce(state: StateStore, tenant: string, name: string): StateStore {
  let crashed = false;
  return new Proxy(state, {
    get(target, key) {
      if (key === 'putDocument') {
        return async (t: string, n: string, value: unknown, expected: number) => {
          if (!crashed && t === tenant && n === name) {
            crashed = true;
            throw new Error('the process died here');
          }
          return target.putDocument(t, n, value, expected);
        };
      }
      return Reflect.get(target, key, target).bind(target);
    },
  });
}

describe('StoreTenantDirectory', () => {
  it('creates a tenant at version 1, lists it, and reads it back', async () => {
    const { directory } = setUp();
    const created = await directory.create('acme', config, HASH);
    expect(created).toEqual({
      id: 'acme',
      config,
      version: 1,
      adminTokenSha256: HASH,
      createdAt: 1_000,
      updatedAt: 1_000,
    });
    expect(await directory.get('acme')).toEqual(created);
    expect(await directory.list()).toEqual(['acme']);
    expect(await directory.get('globex')).toBeUndefined();
  });

  it('keeps the list sorted, in the reserved _deployment scope that no tenant id can name', async () => {
    const { state, directory } = setUp();
    await directory.create('zeta', config, HASH);
    await directory.create('alpha', config, HASH);
    await directory.create('mid', config, HASH);
    expect(await directory.list()).toEqual(['alpha', 'mid', 'zeta']);
    expect(DEPLOYMENT_SCOPE.startsWith('_')).toBe(true);
    expect((await state.getDocument(DEPLOYMENT_SCOPE, TENANT_INDEX_DOCUMENT))?.value).toEqual({
      ids: ['alpha', 'mid', 'zeta'],
    });
  });

  it('answers exists for a second create of one id, and keeps the first', async () => {
    const { directory } = setUp();
    await directory.create('acme', config, HASH);
    expect(await directory.create('acme', { other: true }, OTHER_HASH)).toBe('exists');
    expect((await directory.get('acme'))?.config).toEqual(config);
    expect((await directory.get('acme'))?.adminTokenSha256).toBe(HASH);
  });

  it('of concurrent creates of one id exactly one stores; every id of concurrent creates is listed', async () => {
    const { directory } = setUp();
    const same = await Promise.all(
      Array.from({ length: 5 }, (_, n) => directory.create('acme', { n }, HASH)),
    );
    expect(same.filter((result) => result !== 'exists')).toHaveLength(1);
    await Promise.all(['b1', 'b2', 'b3', 'b4'].map((id) => directory.create(id, config, HASH)));
    expect(await directory.list()).toEqual(['acme', 'b1', 'b2', 'b3', 'b4']);
  });

  it('updates only over the version that was read: conflict when stale, absent when unknown', async () => {
    const { directory, advance } = setUp();
    await directory.create('acme', config, HASH);
    advance(500);
    const updated = await directory.update('acme', { changed: 1 }, 1);
    expect(updated).toMatchObject({ version: 2, config: { changed: 1 }, createdAt: 1_000, updatedAt: 1_500 });
    expect(await directory.update('acme', { changed: 'stale' }, 1)).toBe('conflict');
    expect((await directory.get('acme'))?.config).toEqual({ changed: 1 });
    expect(await directory.update('globex', config, 1)).toBe('absent');
  });

  it('replaces the admin token hash as a new version', async () => {
    const { directory } = setUp();
    await directory.create('acme', config, HASH);
    expect(await directory.replaceAdminToken('acme', OTHER_HASH)).toMatchObject({
      version: 2,
      adminTokenSha256: OTHER_HASH,
      config,
    });
    expect(await directory.replaceAdminToken('globex', OTHER_HASH)).toBe('absent');
    await expect(directory.replaceAdminToken('acme', 'not a hash')).rejects.toThrow(/64 lowercase hex/);
  });

  it('removes a tenant from the list and the store; removing it again answers false', async () => {
    const { state, directory } = setUp();
    await directory.create('acme', config, HASH);
    await directory.create('globex', config, HASH);
    expect(await directory.remove('acme')).toBe(true);
    expect(await directory.list()).toEqual(['globex']);
    expect(await directory.get('acme')).toBeUndefined();
    expect(await state.getDocument('acme', TENANT_CONFIG_DOCUMENT)).toEqual({ value: null, version: 2 });
    expect(await directory.remove('acme')).toBe(false);
    expect(await directory.update('acme', config, 2)).toBe('absent');
  });

  it('creates a removed id again with a version that keeps growing', async () => {
    const { directory } = setUp();
    await directory.create('acme', config, HASH);
    await directory.remove('acme');
    const again = await directory.create('acme', { second: true }, OTHER_HASH);
    expect(again).toMatchObject({ version: 3, config: { second: true } });
    expect(await directory.list()).toEqual(['acme']);
  });

  it('repairs the list when a crash came between the two writes of create: the second create lists it', async () => {
    const { state } = setUp();
    const crashing = new StoreTenantDirectory(crashingOnce(state, DEPLOYMENT_SCOPE, TENANT_INDEX_DOCUMENT));
    await expect(crashing.create('acme', config, HASH)).rejects.toThrow('the process died here');
    expect(await crashing.list()).toEqual([]);

    expect(await crashing.create('acme', config, HASH)).toBe('exists');
    expect(await crashing.list()).toEqual(['acme']);
  });

  it('finishes a remove that a crash interrupted, when asked again', async () => {
    const { state } = setUp();
    const crashing = new StoreTenantDirectory(crashingOnce(state, 'acme', TENANT_CONFIG_DOCUMENT));
    const directory = new StoreTenantDirectory(state);
    await directory.create('acme', config, HASH);
    await expect(crashing.remove('acme')).rejects.toThrow('the process died here');
    expect(await directory.list()).toEqual([]);
    expect(await crashing.remove('acme')).toBe(true);
    expect(await directory.get('acme')).toBeUndefined();
  });

  it('refuses ids that are not tenant ids, and changes nothing', async () => {
    const { state, directory } = setUp();
    for (const id of ['', '_deployment', '-acme', 'a/b', 'a b', 'x'.repeat(65), '../acme']) {
      await expect(directory.create(id, config, HASH)).rejects.toThrow(/invalid tenant id/);
      await expect(directory.get(id)).rejects.toThrow(/invalid tenant id/);
      await expect(directory.update(id, config, 1)).rejects.toThrow(/invalid tenant id/);
      await expect(directory.remove(id)).rejects.toThrow(/invalid tenant id/);
    }
    expect(await state.getDocument(DEPLOYMENT_SCOPE, TENANT_INDEX_DOCUMENT)).toBeUndefined();
  });

  it('refuses a config that is not an object and a hash that is not a SHA-256', async () => {
    const { directory } = setUp();
    await expect(directory.create('acme', [] as unknown as Record<string, unknown>, HASH)).rejects.toThrow(
      'a stored tenant config must be an object',
    );
    await expect(directory.create('acme', config, 'secret-admin-token')).rejects.toThrow(
      'adminTokenSha256 must be the SHA-256 of the admin token, as 64 lowercase hex digits',
    );
    expect(await directory.list()).toEqual([]);
  });

  it('refuses a tenant document that something else wrote', async () => {
    const { state, directory } = setUp();
    await state.putDocument('acme', TENANT_CONFIG_DOCUMENT, { config: 'yaml text' }, 0);
    await expect(directory.get('acme')).rejects.toThrow(
      'the stored tenant acme is not a tenant document; it was written by something else',
    );
  });
});
