import { WORK_ITEM_STATUSES } from '../record.ts';
import type { MachineEventType } from './step.ts';
import { FIRST, MACHINE } from './table.ts';

const EVENTS: readonly MachineEventType[] = [
  'work-item.changed',
  'clarification.replied',
  'output.changed',
  'output.feedback',
  'agent.exited',
  'tick',
  'slot-freed',
  'blocker-done',
];

/**
 * The machine's table as markdown, one row per cell (status, event → action, where it may lead), for
 * the package README; a test checks the README holds exactly this. A pair with no row is ignored.
 */
export function describeMachine(): string {
  const rows = [
    ['status', 'event', 'action', 'may move to'],
    ['(none)', '`work-item.changed`', `\`${FIRST['work-item.changed'].act.name}\``, '`new`'],
  ];
  for (const status of WORK_ITEM_STATUSES) {
    for (const event of EVENTS) {
      const entry = MACHINE[status][event];
      if (!entry) continue;
      const to = entry.to.filter((target) => target !== status).map((target) => `\`${target}\``);
      rows.push([`\`${status}\``, `\`${event}\``, `\`${entry.act.name}\``, to.join(', ') || '(stays)']);
    }
  }
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const [header, ...body] = rows;
  return [
    line(header ?? []),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...body.map(line),
  ].join('\n');
}
