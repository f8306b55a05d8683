import type { BreakerState } from '../pipeline/schedule.ts';

/** The parts of an item of the status view this reads (the view's `ItemSummary` has them). */
interface Item {
  workItemId: string;
  key: string;
  title: string;
  status: string;
  reason: string;
  since: number;
  askedAt?: number;
  threadUrl?: string;
}

/** The parts of the status view this reads; the view itself builds the list from them. */
export interface AttentionInput {
  connections: { provider: string; role: string; state: string; detail?: string }[];
  breaker?: { state: BreakerState['state']; failures: number; retryAt?: number; lastError?: string };
  recentFailed: Item[];
  waiting: Item[];
}

/** A question unanswered for this long asks a person to chase it. */
export const LONG_WAIT_MS = 4 * 3_600_000;

/**
 * Something only a person can move, as data: the dashboard words it and names the action. The
 * most urgent first: the whole tenant stopped, then single items.
 */
export type Attention =
  | { kind: 'provider'; provider: string; role: string; state: string; detail?: string }
  | { kind: 'breaker'; failures: number; retryAt?: number; lastError?: string }
  | { kind: 'cycle'; workItemId: string; key: string; title: string; since: number; reason: string }
  | { kind: 'failed'; workItemId: string; key: string; title: string; since: number; reason: string }
  | {
      kind: 'long-wait';
      workItemId: string;
      key: string;
      title: string;
      askedAt: number;
      threadUrl?: string;
    };

/** What needs a person now, from the status view alone. */
export function needsAPerson(status: AttentionInput, now: number, longWaitMs = LONG_WAIT_MS): Attention[] {
  const list: Attention[] = [];
  for (const connection of status.connections)
    if (connection.state !== 'connected')
      list.push({
        kind: 'provider',
        provider: connection.provider,
        role: connection.role,
        state: connection.state,
        ...(connection.detail ? { detail: connection.detail } : {}),
      });
  if (status.breaker && status.breaker.state !== 'closed')
    list.push({
      kind: 'breaker',
      failures: status.breaker.failures,
      ...(status.breaker.retryAt !== undefined ? { retryAt: status.breaker.retryAt } : {}),
      ...(status.breaker.lastError !== undefined ? { lastError: status.breaker.lastError } : {}),
    });
  for (const item of status.recentFailed) {
    if (item.status !== 'failed') continue;
    const cycle = item.reason.startsWith('dependency cycle');
    list.push({
      kind: cycle ? 'cycle' : 'failed',
      ...itemFields(item),
      since: item.since,
      reason: item.reason,
    });
  }
  for (const item of status.waiting)
    if (item.askedAt !== undefined && now - item.askedAt >= longWaitMs)
      list.push({
        kind: 'long-wait',
        ...itemFields(item),
        askedAt: item.askedAt,
        ...(item.threadUrl ? { threadUrl: item.threadUrl } : {}),
      });
  return list;
}

function itemFields(item: Item) {
  return { workItemId: item.workItemId, key: item.key, title: item.title };
}
