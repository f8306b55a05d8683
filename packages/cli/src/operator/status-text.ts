import type { ItemSummary, TenantStatus } from '@software-factory/sdk';

/** `2026-05-04 09:30:00Z`: short, sortable, and the same on every machine. */
export function formatTime(at: number | undefined): string {
  if (at === undefined) return '-';
  return new Date(at)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Rows of cells as aligned columns, two spaces apart, indented under a heading. */
export function columns(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  return rows.map((row) =>
    `${indent}${row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join('  ')}`.trimEnd(),
  );
}

function section(
  title: string,
  items: readonly ItemSummary[],
  row: (item: ItemSummary) => string[],
): string[] {
  if (items.length === 0) return [`${title}: none`];
  return [`${title} (${items.length})`, ...columns(items.map(row))];
}

/** What `factory status` prints for one tenant. */
export function renderTenantStatus(status: TenantStatus): string {
  const lines: string[] = [`tenant ${status.tenant}  (at ${formatTime(status.generatedAt)})`];

  lines.push('connections');
  lines.push(
    ...columns(
      status.connections.map((connection) => [
        connection.provider,
        connection.role,
        connection.state,
        connection.state === 'connected'
          ? (connection.detail ?? '')
          : `${connection.detail ?? ''}${connection.state === 'needs-auth' || connection.state === 'missing-scopes' ? ` (run \`factory connect ${connection.provider}\`)` : ''}`,
      ]),
    ),
  );

  const breaker = status.breaker;
  lines.push(
    breaker
      ? `fleet breaker: ${breaker.state}, ${breaker.failures} consecutive failure${breaker.failures === 1 ? '' : 's'}${breaker.retryAt !== undefined ? `, new spawns wait until ${formatTime(breaker.retryAt)}` : ''}${breaker.lastError ? ` (last: ${breaker.lastError})` : ''}`
      : 'fleet breaker: closed',
  );

  lines.push(
    ...section('in flight', status.inFlight, (item) => [
      item.key,
      item.agentId ? `agent ${item.agentId}` : 'agent starting',
      item.attempt !== undefined ? `attempt ${item.attempt}` : '',
      `since ${formatTime(item.since)}`,
      item.outputUrl ? `PR ${item.outputUrl}` : 'no PR yet',
    ]),
  );
  lines.push(
    ...section('queued', status.queued, (item) => [
      item.position !== undefined ? `#${item.position}` : '#?',
      item.key,
      `since ${formatTime(item.since)}`,
      item.retryAt !== undefined ? `retry not before ${formatTime(item.retryAt)}` : item.reason,
    ]),
  );
  lines.push(
    ...section('waiting for clarification', status.waiting, (item) => [
      item.key,
      `asked ${formatTime(item.askedAt)}`,
      `expires ${formatTime(item.expiresAt)}`,
      item.threadUrl ? `thread ${item.threadUrl}` : 'thread (no link)',
    ]),
  );
  lines.push(
    ...section('blocked', status.blocked, (item) => [
      item.key,
      `waiting for ${(item.blockedBy ?? []).join(', ') || 'its blockers'}`,
      `since ${formatTime(item.since)}`,
    ]),
  );
  lines.push(
    ...section('recent done', status.recentDone, (item) => [
      item.key,
      formatTime(item.since),
      item.outputUrl ? `PR ${item.outputUrl}` : '',
    ]),
  );
  lines.push(
    ...section('recent failed', status.recentFailed, (item) => [
      item.key,
      item.status,
      formatTime(item.since),
      item.reason,
    ]),
  );
  return `${lines.join('\n')}\n`;
}
