import type { StateStore } from './ports/state-store.ts';
import type { WorkItemRecord, WorkItemStatus } from './record.ts';

const PAGE = 100;

/**
 * A tenant's records (only those in `statuses`, when given), every page of them up to `max`: for reads
 * that need the whole set, such as building or refilling the schedule and the status view.
 */
export async function recordsOf(
  store: StateStore,
  tenant: string,
  options: { statuses?: readonly WorkItemStatus[]; max?: number } = {},
): Promise<WorkItemRecord[]> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const records: WorkItemRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRecords(tenant, {
      ...(options.statuses ? { statuses: options.statuses } : {}),
      limit: PAGE,
      ...(cursor ? { cursor } : {}),
    });
    records.push(...page.records);
    cursor = page.cursor;
  } while (cursor && records.length < max);
  return records;
}
