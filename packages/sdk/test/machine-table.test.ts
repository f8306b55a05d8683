import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TRANSITIONS, WORK_ITEM_STATUSES, type WorkItemStatus } from '../src/index.ts';
import { describeMachine } from '../src/machine/describe.ts';
import { MACHINE } from '../src/machine/table.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The `from → to` pairs of the README's "States and transitions" table. */
function readmeTransitions(): string[] {
  const section = readme.slice(readme.indexOf('## States and transitions'));
  const rows = section
    .slice(section.indexOf('| from'), section.indexOf('\n\n', section.indexOf('| from')))
    .split('\n')
    .slice(2);
  const statuses = (cell: string) =>
    cell.split('/').map((part) => {
      const name = part.trim().replaceAll('`', '');
      return name === '(none)' ? 'none' : name;
    });
  return rows.flatMap((row) => {
    const [, from = '', to = ''] = row.split('|');
    return statuses(from).flatMap((source) => statuses(to).map((target) => `${source} → ${target}`));
  });
}

function tableTransitions(): string[] {
  return (['none', ...WORK_ITEM_STATUSES] as const).flatMap((from) =>
    TRANSITIONS[from].map((to) => `${from} → ${to}`),
  );
}

describe('the state machine is one table, and the README says what it says', () => {
  it('the README lists exactly the transitions the table allows', () => {
    expect(readmeTransitions().sort()).toEqual(tableTransitions().sort());
  });

  it('the README shows the table cell by cell as the code holds it', () => {
    const start = readme.indexOf('<!-- machine table:');
    const end = readme.indexOf('<!-- end of machine table -->');
    const shown = readme.slice(readme.indexOf('\n', start) + 1, end).trim();
    expect(shown, 'regenerate it with describeMachine() from src/machine/describe.ts').toBe(
      describeMachine(),
    );
  });

  it('the check can fail: a transition the README lacks is found', () => {
    const pairs = new Set(readmeTransitions());
    expect(pairs.has('queued → done')).toBe(false);
    expect(pairs.has('dispatched → done')).toBe(true);
  });

  it('every status has a row, and only finished runs stop at `work-item.changed`', () => {
    for (const status of WORK_ITEM_STATUSES) expect(Object.keys(MACHINE[status]).length).toBeGreaterThan(0);
    const finished: WorkItemStatus[] = ['done', 'failed', 'cancelled'];
    for (const status of finished) expect(Object.keys(MACHINE[status])).toEqual(['work-item.changed']);
  });
});
