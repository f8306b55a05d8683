import { errorMessage } from '../error-message.ts';
import { isTenantId } from '../ingress/tenants.ts';
import { type Clock, systemClock } from '../ports/clock.ts';
import { type Logger, silentLogger } from '../ports/logger.ts';
import type { StoredTenant, TenantDirectory } from '../ports/tenant-directory.ts';
import type { TenantRegistry, TenantRuntime } from '../ports/tenant-runtime.ts';

export interface StoredTenantRegistryOptions {
  directory: TenantDirectory;
  /**
   * Builds the runtime of a stored tenant; called again whenever its version changes. The registry sets
   * `origin: 'store'` and the stored `adminTokenSha256` on what it returns, unless it set them.
   */
  build(tenant: StoredTenant): TenantRuntime | Promise<TenantRuntime>;
  /**
   * The tenants of the deployment's config (file or bundle): served as given (their `origin` set to
   * `config` unless set), never read from the store; a stored tenant with one of their ids is ignored.
   */
  pinned?: Iterable<TenantRuntime>;
  /** How long a stored tenant (and the list) is served without asking the directory. Default 5000. */
  refreshMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export const DEFAULT_TENANT_REFRESH_MS = 5_000;

interface Cached {
  /** The stored version `runtime` was built from (or failed to build from). */
  version: number;
  /** Undefined when the build failed: answered as unknown until the next check. */
  runtime?: TenantRuntime;
  checkedAt: number;
}

/**
 * The tenants of one deployment: those of its config (pinned) and those kept as data in a
 * `TenantDirectory`, in one registry so every route has one code path. Each process or isolate caches
 * the stored tenants it built and asks the directory again after `refreshMs`: one read, which rebuilds
 * the runtime only when the version changed, so a change made through another instance is served within
 * `refreshMs` without a restart. Concurrent lookups of one tenant share one read and one build.
 */
export class StoredTenantRegistry implements TenantRegistry {
  readonly #directory: TenantDirectory;
  readonly #build: StoredTenantRegistryOptions['build'];
  readonly #pinned = new Map<string, TenantRuntime>();
  readonly #refreshMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #cache = new Map<string, Cached>();
  readonly #reads = new Map<string, Promise<TenantRuntime | undefined>>();
  /** Bumped by `invalidate`, so a read that started before a change does not cache what it saw. */
  readonly #epochs = new Map<string, number>();
  readonly #warnedShadowed = new Set<string>();
  #list?: { ids: Promise<string[]>; checkedAt: number; epoch: number };
  #listEpoch = 0;

  constructor(options: StoredTenantRegistryOptions) {
    if (!options?.directory) throw new Error('StoredTenantRegistry: a directory is required');
    if (typeof options.build !== 'function') throw new Error('StoredTenantRegistry: build is required');
    const refreshMs = options.refreshMs ?? DEFAULT_TENANT_REFRESH_MS;
    if (!Number.isFinite(refreshMs) || refreshMs < 0) {
      throw new Error('StoredTenantRegistry: refreshMs must be a non-negative number of milliseconds');
    }
    this.#directory = options.directory;
    this.#build = options.build;
    this.#refreshMs = refreshMs;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    for (const runtime of options.pinned ?? []) {
      if (this.#pinned.has(runtime.id)) {
        throw new Error(`StoredTenantRegistry: two tenants of the config have the id ${runtime.id}`);
      }
      runtime.origin ??= 'config';
      this.#pinned.set(runtime.id, runtime);
    }
  }

  /** True when `id` is a tenant of the deployment's config, which the admin API must not change. */
  isPinned(id: string): boolean {
    return this.#pinned.has(id);
  }

  async get(id: string): Promise<TenantRuntime | undefined> {
    const pinned = this.#pinned.get(id);
    if (pinned) return pinned;
    if (!isTenantId(id)) return undefined;
    const cached = this.#cache.get(id);
    if (cached && this.#fresh(cached.checkedAt)) return cached.runtime;
    const running = this.#reads.get(id);
    if (running) return running;
    const read = this.#refresh(id).finally(() => {
      if (this.#reads.get(id) === read) this.#reads.delete(id);
    });
    this.#reads.set(id, read);
    return read;
  }

  async list(): Promise<string[]> {
    let list = this.#list;
    if (!list || list.epoch !== this.#listEpoch || !this.#fresh(list.checkedAt)) {
      const epoch = this.#listEpoch;
      const ids = this.#directory.list();
      list = { ids, checkedAt: this.#clock.now(), epoch };
      this.#list = list;
      ids.catch(() => {
        if (this.#list?.ids === ids) this.#list = undefined;
      });
    }
    const stored = await list.ids;
    const ids = [...this.#pinned.keys()];
    for (const id of stored) {
      if (!isTenantId(id)) continue;
      if (this.#pinned.has(id)) this.#warnShadowed(id);
      else ids.push(id);
    }
    return ids;
  }

  /** Forgets what was checked about `id` (and the list): the next `get` or `list` asks the directory. */
  invalidate(id: string): void {
    this.#epochs.set(id, (this.#epochs.get(id) ?? 0) + 1);
    this.#reads.delete(id);
    const cached = this.#cache.get(id);
    if (cached) cached.checkedAt = Number.NEGATIVE_INFINITY;
    this.#listEpoch += 1;
  }

  #fresh(checkedAt: number): boolean {
    return this.#clock.now() - checkedAt < this.#refreshMs;
  }

  async #refresh(id: string): Promise<TenantRuntime | undefined> {
    const epoch = this.#epochs.get(id) ?? 0;
    const checkedAt = this.#clock.now();
    const stored = await this.#directory.get(id);
    const current = () => (this.#epochs.get(id) ?? 0) === epoch;
    if (!stored) {
      if (current()) this.#cache.delete(id);
      return undefined;
    }
    const cached = this.#cache.get(id);
    if (cached?.runtime && cached.version === stored.version) {
      if (current()) cached.checkedAt = checkedAt;
      return cached.runtime;
    }
    const runtime = await this.#buildRuntime(stored);
    if (current())
      this.#cache.set(id, { version: stored.version, checkedAt, ...(runtime ? { runtime } : {}) });
    return runtime;
  }

  async #buildRuntime(stored: StoredTenant): Promise<TenantRuntime | undefined> {
    try {
      const runtime = await this.#build(stored);
      if (runtime?.id !== stored.id) {
        throw new Error(`build returned a runtime for ${String(runtime?.id)}, not for ${stored.id}`);
      }
      runtime.origin ??= 'store';
      runtime.adminTokenSha256 ??= stored.adminTokenSha256;
      return runtime;
    } catch (error) {
      this.#logger.error('stored tenant cannot be built', {
        tenant: stored.id,
        version: stored.version,
        error: errorMessage(error),
      });
      return undefined;
    }
  }

  #warnShadowed(id: string): void {
    if (this.#warnedShadowed.has(id)) return;
    this.#warnedShadowed.add(id);
    this.#logger.warn('a stored tenant has the id of a tenant of the config; the config’s is served', {
      tenant: id,
    });
  }
}
