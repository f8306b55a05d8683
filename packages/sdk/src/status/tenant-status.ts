import {
  type BreakerState,
  CLOSED_BREAKER,
  EMPTY_SCHEDULE,
  SCHEDULE_DOCUMENT,
  type Schedule,
} from '../pipeline/schedule.ts';
import type { ConnectionReport } from '../ports/connection.ts';
import type { StateStore } from '../ports/state-store.ts';
import {
  type HistoryEntry,
  WORK_ITEM_STATUSES,
  type WorkItemRecord,
  type WorkItemStatus,
} from '../record.ts';
import { recordsOf } from '../record-listing.ts';
import { type Attention, needsAPerson } from './attention.ts';

export interface ItemSummary {
  workItemId: string;
  key: string;
  title: string;
  status: WorkItemStatus;
  reason: string;
  /** When the item entered its current status (epoch ms). */
  since: number;
  url?: string;
  agentId?: string;
  attempt?: number;
  /** The round of review feedback the item is in, once feedback went back to an agent. */
  feedbackRound?: number;
  outputUrl?: string;
  threadUrl?: string;
  threadId?: string;
  askedAt?: number;
  expiresAt?: number;
  /** 1-based place in the queue. */
  position?: number;
  retryAt?: number;
  blockedBy?: string[];
  /** The route triage chose, once it chose one. */
  route?: string;
  labels: string[];
  history: HistoryEntry[];
}

/** What an operator wants to see at a glance for one tenant. */
export interface TenantStatus {
  tenant: string;
  generatedAt: number;
  inFlight: ItemSummary[];
  queued: ItemSummary[];
  waiting: ItemSummary[];
  blocked: ItemSummary[];
  recentDone: ItemSummary[];
  recentFailed: ItemSummary[];
  connections: { provider: string; role: string; state: string; detail?: string }[];
  /** The fleet circuit breaker, when it is not plainly closed: new spawns wait until `retryAt`. */
  breaker?: { state: BreakerState['state']; failures: number; retryAt?: number; lastError?: string };
  /** How many items are in each status (of at most `LISTED` read per status). */
  counts: Record<WorkItemStatus, number>;
  /** What only a person can move, most urgent first. */
  attention: Attention[];
}

const RECENT = 10;
/** The most records of one status a status view reads. */
const LISTED = 5_000;

/** Reads the tenant's records and queue once and groups them for `factory status` and the dashboard. */
export async function tenantStatus(
  store: StateStore,
  tenant: string,
  connections: readonly ConnectionReport[],
  now: number,
): Promise<TenantStatus> {
  const [fresh, inFlight, queued, waiting, blocked, done, failed, schedule] = await Promise.all([
    recordsOf(store, tenant, { statuses: ['new'], max: LISTED }),
    recordsOf(store, tenant, { statuses: ['dispatched'], max: LISTED }),
    recordsOf(store, tenant, { statuses: ['queued'], max: LISTED }),
    recordsOf(store, tenant, { statuses: ['waiting-clarification'], max: LISTED }),
    recordsOf(store, tenant, { statuses: ['blocked'], max: LISTED }),
    recordsOf(store, tenant, { statuses: ['done'], max: LISTED }),
    recordsOf(store, tenant, { statuses: ['failed', 'cancelled'], max: LISTED }),
    store.getDocument(tenant, SCHEDULE_DOCUMENT),
  ]);
  const scheduled = (schedule?.value ?? EMPTY_SCHEDULE) as Schedule;
  const queue = scheduled.queue ?? [];
  const breaker = scheduled.breaker ?? CLOSED_BREAKER;
  const positions = new Map(queue.map((entry, index) => [entry.workItemId, index + 1]));
  const recent = (records: WorkItemRecord[]) =>
    records
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, RECENT)
      .map((record) => summarize(record));
  const counts = Object.fromEntries(WORK_ITEM_STATUSES.map((name) => [name, 0])) as Record<
    WorkItemStatus,
    number
  >;
  for (const record of [fresh, inFlight, queued, waiting, blocked, done, failed].flat())
    counts[record.status] += 1;
  const status: Omit<TenantStatus, 'attention'> = {
    tenant,
    generatedAt: now,
    inFlight: inFlight.map((record) => summarize(record)).sort((a, b) => a.since - b.since),
    queued: queued
      .map((record) => summarize(record, positions.get(record.workItemId)))
      .sort((a, b) => (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER)),
    waiting: waiting.map((record) => summarize(record)).sort((a, b) => (a.askedAt ?? 0) - (b.askedAt ?? 0)),
    blocked: blocked.map((record) => summarize(record)).sort((a, b) => a.since - b.since),
    recentDone: recent(done),
    recentFailed: recent(failed),
    ...(breaker.state !== 'closed' || breaker.failures > 0
      ? {
          breaker: {
            state: breaker.state,
            failures: breaker.failures,
            ...(breaker.retryAt !== undefined ? { retryAt: breaker.retryAt } : {}),
            ...(breaker.lastError !== undefined ? { lastError: breaker.lastError } : {}),
          },
        }
      : {}),
    connections: connections.map((report) => ({
      provider: report.provider,
      role: report.role,
      state: report.status.state,
      ...connectionDetail(report),
    })),
    counts,
  };
  return { ...status, attention: needsAPerson(status, now) };
}

function connectionDetail(report: ConnectionReport): { detail?: string } {
  const status = report.status;
  switch (status.state) {
    case 'missing-scopes':
      return { detail: `missing ${status.missing.join(', ')}` };
    case 'needs-auth':
      return { detail: status.reason };
    case 'error':
      return { detail: status.message };
    default:
      return status.identity ? { detail: status.identity } : {};
  }
}

function summarize(record: WorkItemRecord, position?: number): ItemSummary {
  const entered = [...record.history].reverse().find((entry) => entry.to === record.status);
  const summary: ItemSummary = {
    workItemId: record.workItemId,
    key: record.item.key,
    title: record.item.title,
    status: record.status,
    reason: record.reason,
    since: entered?.at ?? record.updatedAt,
    labels: [...record.item.labels],
    history: record.history,
  };
  if (record.route) summary.route = record.route.name;
  if (record.item.source.url) summary.url = record.item.source.url;
  if (record.dispatch?.agentId) summary.agentId = record.dispatch.agentId;
  if (record.dispatch) summary.attempt = record.dispatch.attempt;
  if (record.feedback && record.feedback.rounds > 0) summary.feedbackRound = record.feedback.rounds;
  if (record.output) summary.outputUrl = record.output.url;
  if (record.clarification?.threadUrl) summary.threadUrl = record.clarification.threadUrl;
  if (record.clarification?.threadId) summary.threadId = record.clarification.threadId;
  if (record.status === 'waiting-clarification' && record.clarification) {
    summary.askedAt = record.clarification.askedAt;
    summary.expiresAt = record.clarification.expiresAt;
  }
  if (position !== undefined) summary.position = position;
  if (record.retryAt !== undefined) summary.retryAt = record.retryAt;
  if (record.status === 'blocked' && record.blockedBy) summary.blockedBy = record.blockedBy;
  return summary;
}
