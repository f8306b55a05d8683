import type { HandleResult } from '../pipeline/result.ts';
import type { TenantRegistry } from '../ports/tenant-runtime.ts';
import { describeUnconnected, unconnectedProviders } from './unconnected-providers.ts';

/** One tenant's tick: its result, the reason it was refused (a provider not connected), or its error. */
export interface TickOutcome {
  tenant: string;
  result?: HandleResult;
  refused?: string;
  error?: string;
}

/** Runs the tick for every tenant that is fully connected; one tenant's failure does not stop the others. */
export async function tickAll(registry: TenantRegistry): Promise<TickOutcome[]> {
  const outcomes: TickOutcome[] = [];
  for (const id of await registry.list()) {
    try {
      const tenant = await registry.get(id);
      if (!tenant) continue;
      const unconnected = unconnectedProviders(await tenant.connections());
      if (unconnected.length > 0) {
        outcomes.push({ tenant: id, refused: `not processing work: ${describeUnconnected(unconnected)}` });
        continue;
      }
      outcomes.push({ tenant: id, result: await tenant.factory.handle({ type: 'tick' }) });
    } catch (error) {
      outcomes.push({ tenant: id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcomes;
}
