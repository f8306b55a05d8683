import type { TenantRegistry, TenantRuntime } from '../ports/tenant-runtime.ts';

/**
 * `work` for every item, at most `limit` at once, the results in the items' order. For what a deployment
 * does for each of its tenants (the tick, the operator's views): one after the other, a deployment of
 * many tenants took their sum, and one tenant whose vendor was slow held up every tenant after it;
 * all at once, it would open as many store and vendor calls as it has tenants. The first failure is
 * the answer, and no item is started after it (those in hand finish on their own).
 */
export async function inTurns<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`inTurns: limit must be a whole number of at least 1, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Tenants a deployment-wide view reads at once (`/healthz` with the operator token, `/metrics`). */
export const TENANTS_AT_ONCE = 8;

/**
 * `work` for each tenant of the registry, `TENANTS_AT_ONCE` at once, the results in the registry's
 * order; a tenant the registry no longer has when its turn comes gives none.
 */
export async function forEachTenant<R>(
  registry: TenantRegistry,
  work: (tenant: TenantRuntime) => Promise<R>,
): Promise<R[]> {
  const results = await inTurns(await registry.list(), TENANTS_AT_ONCE, async (id) => {
    const tenant = await registry.get(id);
    return tenant ? { value: await work(tenant) } : undefined;
  });
  return results.flatMap((result) => (result ? [result.value] : []));
}
