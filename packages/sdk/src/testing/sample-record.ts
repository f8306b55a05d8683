import type { WorkItemRecord, WorkItemStatus } from '../record.ts';
import type { WorkItem } from '../work-item.ts';

/** A plausible work item for tests; override what the test is about. */
export function sampleWorkItem(overrides: Partial<WorkItem> = {}): WorkItem {
  const id = overrides.id ?? 'item-1';
  return {
    id,
    key: overrides.key ?? `ENG-${id.replace(/\D/g, '') || '1'}`,
    title: 'Add a --json flag to the export command',
    description:
      'The export command prints a table. Add a `--json` flag that prints the same rows as JSON.\n\n' +
      'Acceptance criteria:\n- `export --json` prints a JSON array\n- the table output is unchanged',
    state: 'todo',
    labels: ['factory'],
    updatedAt: '2026-01-01T00:00:00.000Z',
    source: { provider: 'tracker', externalId: id, url: `https://tracker.example/items/${id}` },
    metadata: {},
    ...overrides,
  };
}

/** A stored record in `status`, version 1, as the core would write it. */
export function sampleRecord(
  workItemId: string,
  overrides: Partial<WorkItemRecord> & { status?: WorkItemStatus } = {},
): WorkItemRecord {
  return {
    workItemId,
    version: 1,
    run: 1,
    status: 'new',
    reason: 'created',
    item: sampleWorkItem({ id: workItemId }),
    attempts: 0,
    pending: [],
    history: [{ at: 0, from: null, to: 'new', event: 'work-item.changed', reason: 'created' }],
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}
