import type { Applied } from '../machine/apply.ts';
import type { HandlerContext } from './context.ts';
import { lookUpOutput } from './output-lookup.ts';
import type { ResultBuilder } from './result.ts';

/**
 * What an action noted for after its write landed: an agent that exited successfully has its branch
 * looked up once (its output event may be lost). Fleet failures were counted in the write itself.
 */
export async function afterWrite(
  context: HandlerContext,
  applied: Applied,
  via: string,
  result: ResultBuilder,
): Promise<{ freedSlots: boolean; reason?: string }> {
  if (!applied.wrote) return { freedSlots: false };
  if (applied.notes.agentExited && applied.record) return lookUpOutput(context, applied.record, via, result);
  return { freedSlots: applied.freedSlots };
}
