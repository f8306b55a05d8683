import type { Clock } from '../ports/clock.ts';
import type { StateStore } from '../ports/state-store.ts';

/** How one bucket of failed token attempts slows down. */
export interface ThrottlePolicy {
  /** Failures allowed before any wait. */
  free: number;
  /** The wait after the first failure past `free`; each further failure doubles it. */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
}

export interface AdminThrottleOptions {
  /** Failures from one client address at one tenant. Default: 5 free, then 1 s doubling to 15 min. */
  perAddress?: Partial<ThrottlePolicy>;
  /** Failures at one tenant from anywhere. Default: 30 free, then 1 s doubling to 15 min. */
  perTenant?: Partial<ThrottlePolicy>;
  /** A bucket with no failure for this long (and no wait left) starts over. Default 1 h. */
  forgetAfterMs?: number;
}

interface Bucket {
  failures: number;
  lastAt: number;
  until: number;
}

interface ThrottleDocument {
  buckets: Record<string, Bucket>;
}

/** The tenant document holding a tenant's failed attempts. */
export const THROTTLE_DOCUMENT = 'admin-auth-throttle';
const TENANT_BUCKET = '*';
/** Address buckets kept per tenant; past it the quietest are dropped (the tenant's bucket still counts). */
const MAX_BUCKETS = 500;
const WRITE_ATTEMPTS = 10;

const DEFAULT_ADDRESS: ThrottlePolicy = { free: 5, baseMs: 1000, maxMs: 15 * 60_000 };
const DEFAULT_TENANT: ThrottlePolicy = { free: 30, baseMs: 1000, maxMs: 15 * 60_000 };

/**
 * Throttles failed admin-token attempts per tenant and per client address. The counts live in a tenant
 * document written with compare-and-set, so every instance of a deployment sees the same counts.
 */
export class AdminThrottle {
  readonly #store: StateStore;
  readonly #clock: Clock;
  readonly #address: ThrottlePolicy;
  readonly #tenant: ThrottlePolicy;
  readonly #forgetAfterMs: number;

  constructor(store: StateStore, clock: Clock, options: AdminThrottleOptions = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#address = { ...DEFAULT_ADDRESS, ...options.perAddress };
    this.#tenant = { ...DEFAULT_TENANT, ...options.perTenant };
    this.#forgetAfterMs = options.forgetAfterMs ?? 60 * 60_000;
  }

  /** Milliseconds until `address` may try a token at `scope` again; 0 when it may now. */
  async waitMs(scope: string, address: string | undefined): Promise<number> {
    const { value } = await this.#read(scope);
    const now = this.#clock.now();
    const until = Math.max(
      value.buckets[TENANT_BUCKET]?.until ?? 0,
      value.buckets[addressBucket(address)]?.until ?? 0,
    );
    return Math.max(0, until - now);
  }

  /** Counts a wrong token from `address` at `scope`. */
  async failed(scope: string, address: string | undefined): Promise<void> {
    await this.#update(scope, (buckets, now) => {
      buckets[TENANT_BUCKET] = this.#next(buckets[TENANT_BUCKET], this.#tenant, now);
      const key = addressBucket(address);
      buckets[key] = this.#next(buckets[key], this.#address, now);
      return true;
    });
  }

  /** The right token from `address`: its own count starts over (the tenant's does not). */
  async succeeded(scope: string, address: string | undefined): Promise<void> {
    const key = addressBucket(address);
    const { value } = await this.#read(scope);
    if (!value.buckets[key]) return;
    await this.#update(scope, (buckets) => {
      if (!buckets[key]) return false;
      delete buckets[key];
      return true;
    });
  }

  #next(bucket: Bucket | undefined, policy: ThrottlePolicy, now: number): Bucket {
    const failures = (bucket?.failures ?? 0) + 1;
    const over = failures - policy.free;
    const wait = over > 0 ? Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(over - 1, 40)) : 0;
    return { failures, lastAt: now, until: over > 0 ? now + wait : 0 };
  }

  async #read(scope: string): Promise<{ value: ThrottleDocument; version: number }> {
    const document = await this.#store.getDocument(scope, THROTTLE_DOCUMENT);
    const value = document?.value as ThrottleDocument | undefined;
    return {
      value: { buckets: { ...(value?.buckets ?? {}) } },
      version: document?.version ?? 0,
    };
  }

  async #update(scope: string, change: (buckets: Record<string, Bucket>, now: number) => boolean) {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const { value, version } = await this.#read(scope);
      const now = this.#clock.now();
      const buckets = this.#pruned(value.buckets, now);
      if (!change(buckets, now)) return;
      if (await this.#store.putDocument(scope, THROTTLE_DOCUMENT, { buckets }, version)) return;
    }
  }

  #pruned(buckets: Record<string, Bucket>, now: number): Record<string, Bucket> {
    const live = Object.entries(buckets).filter(
      ([, bucket]) => bucket.until > now || now - bucket.lastAt < this.#forgetAfterMs,
    );
    const addresses = live
      .filter(([key]) => key !== TENANT_BUCKET)
      .sort(([, a], [, b]) => Number(a.until > now) - Number(b.until > now) || a.lastAt - b.lastAt);
    const dropped = new Set(
      addresses.slice(0, Math.max(0, addresses.length - (MAX_BUCKETS - 1))).map(([key]) => key),
    );
    return Object.fromEntries(live.filter(([key]) => !dropped.has(key)));
  }
}

function addressBucket(address: string | undefined): string {
  return `a:${address ?? 'unknown'}`;
}
