import { errorMessage } from '../error-message.ts';
import type { HandleResult } from '../pipeline/result.ts';
import type { TenantRegistry } from '../ports/tenant-runtime.ts';
import { inTurns } from './in-turns.ts';
import { describeUnconnected, unconnectedProviders } from './unconnected-providers.ts';

/** One tenant's tick: its result, the reason it was refused (a provider not connected), or its error. */
export interface TickOutcome {
  tenant: string;
  result?: HandleResult;
  refused?: string;
  error?: string;
}

/**
 * Tenants ticked at once. Each tick reads the store and may call the tenant's vendors (with their
 * retries); one after the other, a deployment's tick took the sum of its tenants', and one slow vendor
 * delayed every tenant after it, against the scheduled invocation's time limit.
 */
export const TICK_CONCURRENCY = 8;

/**
 * Runs the tick for every tenant that is fully connected, `TICK_CONCURRENCY` tenants at once; one
 * tenant's failure does not stop the others. The outcomes are in the registry's order.
 */
export async function tickAll(registry: TenantRegistry): Promise<TickOutcome[]> {
  const outcomes = await inTurns(await registry.list(), TICK_CONCURRENCY, (id) => tickOne(registry, id));
  return outcomes.filter((outcome): outcome is TickOutcome => outcome !== undefined);
}

/** One tenant's tick; undefined when the registry no longer has the tenant. */
async function tickOne(registry: TenantRegistry, id: string): Promise<TickOutcome | undefined> {
  try {
    const tenant = await registry.get(id);
    if (!tenant) return undefined;
    const unconnected = unconnectedProviders(await tenant.connections());
    if (unconnected.length > 0)
      return { tenant: id, refused: `not processing work: ${describeUnconnected(unconnected)}` };
    return { tenant: id, result: await tenant.factory.handle({ type: 'tick' }) };
  } catch (error) {
    return { tenant: id, error: errorMessage(error) };
  }
}
