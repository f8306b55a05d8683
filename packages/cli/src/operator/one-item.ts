import {
  createFactory,
  type HandleResult,
  outsideScope,
  type Triage,
  type TriageDecision,
  type WorkItem,
} from '@software-factory/sdk';
import { CliError } from '../cli-error.ts';
import type { NodeTenant } from '../tenant-from-config.ts';

export interface OneItemRun {
  item: WorkItem;
  /** What triage decided, when the core asked it (an item outside the gate is never triaged). */
  decision?: TriageDecision;
  result: HandleResult;
}

/** The work item behind a key, id or URL, read through the tenant's intake. */
export async function fetchWorkItem(tenant: NodeTenant, ref: string): Promise<WorkItem> {
  const workItems = tenant.runtime.factory.ports.workItems;
  const item = await workItems.getWorkItem(ref);
  if (!item) throw new CliError(`${workItems.provider} has no work item "${ref}"`);
  return item;
}

/**
 * Handles the item now as if its tracker had just reported it changed, through the core, so the same
 * safety gate, readiness, triage and limits apply as in `factory start`. Triage is watched on the way
 * to show its decision; with `dryRun` every write becomes a line of the plan and nothing is written.
 */
export async function runOneItem(
  tenant: NodeTenant,
  item: WorkItem,
  options: { dryRun: boolean },
): Promise<OneItemRun> {
  const factory = tenant.runtime.factory;
  let decision: TriageDecision | undefined;
  const watched: Triage = {
    async triage(input) {
      decision = await factory.ports.triage.triage(input);
      return decision;
    },
  };
  const core = createFactory({
    tenant: factory.tenant,
    settings: factory.settings,
    ports: { ...factory.ports, triage: watched },
  });
  const result = await core.handle({ type: 'work-item.changed', item }, { dryRun: options.dryRun });
  return { item, result, ...(decision ? { decision } : {}) };
}

/** Why the safety gate keeps the item out, or undefined when it is inside the opt-in scope. */
export function scopeVerdict(tenant: NodeTenant, item: WorkItem): string | undefined {
  return outsideScope(item, tenant.runtime.factory.settings.scope);
}

/**
 * Triage's decision for an item the core did not triage now (e.g. already handled at this revision),
 * asked directly with the answers the factory has on record. Writes nothing.
 */
export async function decideDirectly(tenant: NodeTenant, item: WorkItem): Promise<TriageDecision> {
  const factory = tenant.runtime.factory;
  const record = await factory.ports.store.getRecord(factory.tenant, item.id);
  return factory.ports.triage.triage({ item, answers: record?.clarification?.answers ?? [] });
}
