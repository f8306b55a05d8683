import { describe, expect, it } from 'vitest';
import { InMemoryStateStore } from '../src/in-memory-state-store.ts';
import type { StoredTenant, TenantDirectory } from '../src/ports/tenant-directory.ts';
import type { TenantRuntime } from '../src/ports/tenant-runtime.ts';
import { StoreTenantDirectory } from '../src/tenants/store-tenant-directory.ts';
import {
  StoredTenantRegistry,
  type StoredTenantRegistryOptions,
} from '../src/tenants/stored-tenant-registry.ts';
import { FakeClock, MemoryLogger } from '../src/testing/fakes.ts';

const HASH = 'c'.repeat(64);
const REFRESH_MS = 5_000;

/** A runtime that says which config it was built from; the registry never touches the factory. */
function runtime(id: string, label: unknown): TenantRuntime & { label: unknown } {
  return {
    id,
    label,
    factory: {} as TenantRuntime['factory'],
    sources: new Map(),
    connections: async () => [],
  };
}

/** Counts the directory reads the registry makes. */
function counting(directory: TenantDirectory) {
  const reads = { get: 0, list: 0 };
  const counted: TenantDirectory = {
    ...directory,
    get: (id) => {
      reads.get += 1;
      return directory.get(id);
    },
    list: () => {
      reads.list += 1;
      return directory.list();
    },
    create: (...args) => directory.create(...args),
    update: (...args) => directory.update(...args),
    replaceAdminToken: (...args) => directory.replaceAdminToken(...args),
    remove: (id) => directory.remove(id),
  };
  return { directory: counted, reads };
}

function setUp(options: Partial<StoredTenantRegistryOptions> = {}, state = new InMemoryStateStore()) {
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const directory = new StoreTenantDirectory(state, clock);
  const { directory: countedDirectory, reads } = counting(directory);
  const builds: StoredTenant[] = [];
  const registry = new StoredTenantRegistry({
    directory: countedDirectory,
    build: (tenant) => {
      builds.push(tenant);
      return runtime(tenant.id, tenant.config.label);
    },
    refreshMs: REFRESH_MS,
    clock,
    logger,
    ...options,
  });
  return { state, clock, logger, directory, registry, reads, builds };
}

const label = (found: TenantRuntime | undefined) => (found as { label?: unknown } | undefined)?.label;

describe('StoredTenantRegistry', () => {
  it('serves a stored tenant, built once, with origin store and the stored admin token hash', async () => {
    const { directory, registry, builds } = setUp();
    await directory.create('acme', { label: 'first' }, HASH);
    const found = await registry.get('acme');
    expect(label(found)).toBe('first');
    expect(found?.origin).toBe('store');
    expect(found?.adminTokenSha256).toBe(HASH);
    expect(builds).toHaveLength(1);
    expect(await registry.get('globex')).toBeUndefined();
  });

  it('does not read the directory again within refreshMs', async () => {
    const { directory, registry, reads, clock } = setUp();
    await directory.create('acme', { label: 'first' }, HASH);
    await registry.get('acme');
    clock.advance(REFRESH_MS - 1);
    await registry.get('acme');
    await registry.get('acme');
    expect(reads.get).toBe(1);
  });

  it('after refreshMs, reads once and keeps the built runtime when the version is the same', async () => {
    const { directory, registry, reads, builds, clock } = setUp();
    await directory.create('acme', { label: 'first' }, HASH);
    const first = await registry.get('acme');
    clock.advance(REFRESH_MS);
    expect(await registry.get('acme')).toBe(first);
    expect(reads.get).toBe(2);
    expect(builds).toHaveLength(1);
  });

  it('serves a change after refreshMs without a restart, through the version check', async () => {
    const { directory, registry, builds, clock } = setUp();
    await directory.create('acme', { label: 'first' }, HASH);
    await registry.get('acme');
    await directory.update('acme', { label: 'second' }, 1);
    expect(label(await registry.get('acme'))).toBe('first');
    clock.advance(REFRESH_MS);
    expect(label(await registry.get('acme'))).toBe('second');
    expect(builds.map((tenant) => tenant.version)).toEqual([1, 2]);
  });

  it('forgets a removed tenant after refreshMs', async () => {
    const { directory, registry, clock } = setUp();
    await directory.create('acme', { label: 'first' }, HASH);
    await registry.get('acme');
    await directory.remove('acme');
    clock.advance(REFRESH_MS);
    expect(await registry.get('acme')).toBeUndefined();
    expect(await registry.list()).toEqual([]);
  });

  it('invalidate makes the next get and list read again, within refreshMs', async () => {
    const { directory, registry, reads } = setUp();
    await directory.create('acme', { label: 'first' }, HASH);
    await registry.get('acme');
    expect(await registry.list()).toEqual(['acme']);
    await directory.update('acme', { label: 'second' }, 1);
    await directory.create('globex', { label: 'g' }, HASH);
    registry.invalidate('acme');
    expect(label(await registry.get('acme'))).toBe('second');
    expect(await registry.list()).toEqual(['acme', 'globex']);
    expect(reads).toEqual({ get: 2, list: 2 });
  });

  it('two registries over one store: a tenant created through one is served by the other within refreshMs', async () => {
    const state = new InMemoryStateStore();
    const one = setUp({}, state);
    const other = setUp({}, state);
    expect(await other.registry.list()).toEqual([]);
    expect(await other.registry.get('acme')).toBeUndefined();

    await one.directory.create('acme', { label: 'made on one' }, HASH);
    one.registry.invalidate('acme');
    expect(label(await one.registry.get('acme'))).toBe('made on one');

    expect(label(await other.registry.get('acme'))).toBe('made on one');
    other.clock.advance(REFRESH_MS);
    expect(await other.registry.list()).toEqual(['acme']);

    await one.directory.remove('acme');
    other.clock.advance(REFRESH_MS);
    expect(await other.registry.get('acme')).toBeUndefined();
    expect(await other.registry.list()).toEqual([]);
  });

  it('logs a build that throws, answers undefined, and builds again after refreshMs', async () => {
    let failing = true;
    const { directory, registry, logger, clock, reads } = setUp({
      build: (tenant) => {
        if (failing) throw new Error('provider entry missing');
        return runtime(tenant.id, 'built');
      },
    });
    await directory.create('acme', { label: 'x' }, HASH);
    expect(await registry.get('acme')).toBeUndefined();
    expect(logger.lines).toEqual([
      {
        level: 'error',
        message: 'stored tenant cannot be built',
        fields: { tenant: 'acme', version: 1, error: 'provider entry missing' },
      },
    ]);
    failing = false;
    expect(await registry.get('acme')).toBeUndefined();
    expect(reads.get).toBe(1);
    clock.advance(REFRESH_MS);
    expect(label(await registry.get('acme'))).toBe('built');
  });

  it('serves a pinned tenant of the config as given, and ignores a stored tenant with its id (warning once)', async () => {
    const pinned = runtime('acme', 'from config');
    const { directory, registry, reads, builds, logger, clock } = setUp({ pinned: [pinned] });
    await directory.create('acme', { label: 'stored' }, HASH);
    await directory.create('globex', { label: 'stored' }, HASH);

    expect(await registry.get('acme')).toBe(pinned);
    expect(pinned.origin).toBe('config');
    expect(registry.isPinned('acme')).toBe(true);
    expect(registry.isPinned('globex')).toBe(false);
    expect(await registry.list()).toEqual(['acme', 'globex']);
    clock.advance(REFRESH_MS);
    expect(await registry.list()).toEqual(['acme', 'globex']);
    expect(reads.get).toBe(0);
    expect(builds).toHaveLength(0);
    expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'a stored tenant has the id of a tenant of the config; the config’s is served',
        fields: { tenant: 'acme' },
      },
    ]);
  });

  it('shares one read and one build between concurrent gets of one tenant', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let buildCount = 0;
    const { directory, registry, reads } = setUp({
      build: async (tenant) => {
        buildCount += 1;
        await gate;
        return runtime(tenant.id, 'slow');
      },
    });
    await directory.create('acme', { label: 'x' }, HASH);
    const gets = Promise.all(Array.from({ length: 5 }, () => registry.get('acme')));
    release();
    const found = await gets;
    expect(new Set(found).size).toBe(1);
    expect(label(found[0])).toBe('slow');
    expect(buildCount).toBe(1);
    expect(reads.get).toBe(1);
  });

  it('caches the list of stored tenants for refreshMs', async () => {
    const { directory, registry, reads, clock } = setUp();
    await directory.create('acme', { label: 'x' }, HASH);
    expect(await registry.list()).toEqual(['acme']);
    await directory.create('globex', { label: 'x' }, HASH);
    expect(await registry.list()).toEqual(['acme']);
    expect(reads.list).toBe(1);
    clock.advance(REFRESH_MS);
    expect(await registry.list()).toEqual(['acme', 'globex']);
  });

  it('answers undefined for an id that is not a tenant id, without reading', async () => {
    const { registry, reads } = setUp();
    expect(await registry.get('_deployment')).toBeUndefined();
    expect(await registry.get('../acme')).toBeUndefined();
    expect(reads.get).toBe(0);
  });

  it('refuses two pinned tenants with one id and a negative refreshMs', () => {
    expect(() => setUp({ pinned: [runtime('acme', 1), runtime('acme', 2)] })).toThrow(
      'StoredTenantRegistry: two tenants of the config have the id acme',
    );
    expect(() => setUp({ refreshMs: -1 })).toThrow(/refreshMs must be a non-negative number/);
  });
});
