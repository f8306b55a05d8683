import type { IndexKind } from '@software-factory/sdk';

/**
 * Only lookups whose value is minted once by the outside system and never reassigned: a chat thread id
 * and an agent id belong to one work item forever. Work item keys can move between items (a tracker
 * renumbers an issue moved to another team), so they are always read from the Durable Object.
 */
const CACHED_KINDS: ReadonlySet<IndexKind> = new Set<IndexKind>(['thread', 'agent']);
const KV_MAX_KEY_BYTES = 512;
const encoder = new TextEncoder();

export interface KvIndexCacheOptions {
  /** How long a cached lookup lives in KV; at least 60 seconds (KV's minimum). Default 30 days. */
  ttlSeconds?: number;
}

/**
 * A read-through cache of index lookups in Workers KV. KV is eventually consistent, so it only ever
 * says *which* record to read; the record itself comes from the tenant's Durable Object, and the core
 * checks it against the event (a thread or agent the record does not name is ignored). A miss, a KV
 * error or a key too long for KV falls back to the object; nothing here can decide a dispatch.
 */
export class KvIndexCache {
  readonly #kv: KVNamespace;
  readonly #ttlSeconds: number;

  constructor(kv: KVNamespace, options: KvIndexCacheOptions = {}) {
    const ttl = options.ttlSeconds ?? 30 * 86_400;
    if (!Number.isInteger(ttl) || ttl < 60) {
      throw new RangeError(`KvIndexCache: ttlSeconds must be a whole number of at least 60, got ${ttl}`);
    }
    this.#kv = kv;
    this.#ttlSeconds = ttl;
  }

  caches(kind: IndexKind): boolean {
    return CACHED_KINDS.has(kind);
  }

  async get(tenant: string, kind: IndexKind, value: string): Promise<string | undefined> {
    const key = this.#key(tenant, kind, value);
    if (!key) return undefined;
    try {
      return (await this.#kv.get(key)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  async put(tenant: string, kind: IndexKind, value: string, workItemId: string): Promise<void> {
    const key = this.#key(tenant, kind, value);
    if (!key) return;
    // A failed cache write only costs a later read from the object.
    await this.#kv.put(key, workItemId, { expirationTtl: this.#ttlSeconds }).catch(() => {});
  }

  #key(tenant: string, kind: IndexKind, value: string): string | undefined {
    if (!this.caches(kind)) return undefined;
    const key = `factory/v1/${encodeURIComponent(tenant)}/index/${kind}/${encodeURIComponent(value)}`;
    return encoder.encode(key).byteLength <= KV_MAX_KEY_BYTES ? key : undefined;
  }
}
