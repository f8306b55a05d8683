import type { FeedbackNote, HistoryEntry, PendingEffect, WorkItemRecord, WorkItemStatus } from '../record.ts';
import { traceIdFor } from '../trace.ts';

/** One agent attempt of an item, as far as its record tells it. */
export interface AgentAttempt {
  /** 1-based, in the order the record's history shows them. */
  number: number;
  run: number;
  startedAt: number;
  /** Absent while the agent works. */
  endedAt?: number;
  durationMs?: number;
  /** Known for the current attempt, and for a failed one whose reason names it. */
  exitCode?: number;
  /** The id is kept for the current attempt only. */
  agentId?: string;
  outcome: 'running' | 'succeeded' | 'failed' | 'ended';
  reason?: string;
}

/** A link an operator follows from the item's page; absent ones are simply not listed. */
export interface ItemLinks {
  trackerItem?: string;
  thread?: string;
  pullRequest?: string;
  agentLog?: string;
  trace?: string;
}

/** Everything the factory's record knows about one item, for its own page. */
export interface ItemHistory {
  tenant: string;
  workItemId: string;
  key: string;
  title: string;
  status: WorkItemStatus;
  reason: string;
  run: number;
  labels: string[];
  route?: string;
  createdAt: number;
  updatedAt: number;
  links: ItemLinks;
  transitions: HistoryEntry[];
  clarification?: {
    question: string;
    askedAt: number;
    expiresAt: number;
    rounds: number;
    answers: { author: string; text: string; at: number }[];
  };
  attempts: AgentAttempt[];
  feedback?: {
    rounds: number;
    given: FeedbackLine[];
    waiting: FeedbackLine[];
    stopped?: string;
  };
  output?: { url: string; state: string };
  /** Effects written to the outbox and not yet performed (performed ones leave the record). */
  pendingEffects: { id: string; kind: PendingEffect['kind'] }[];
}

export interface FeedbackLine {
  at: number;
  kind: FeedbackNote['kind'];
  from: string;
  text: string;
  url?: string;
}

export interface ItemHistoryOptions {
  tenant: string;
  /** A URL with `{traceId}` in it, e.g. a tracing UI's search by id. */
  traceUrl?: string;
  /** The fleet's page of an agent's log, when it has one. */
  agentLogUrl?: (agentId: string) => string | undefined;
}

const EXIT_CODE = /exited with code (\d+)/;

/** The item's page, read from its record alone: nothing else is asked. */
export function itemHistory(record: WorkItemRecord, options: ItemHistoryOptions): ItemHistory {
  const attempts = attemptsOf(record);
  const links: ItemLinks = {};
  if (record.item.source.url) links.trackerItem = record.item.source.url;
  if (record.clarification?.threadUrl) links.thread = record.clarification.threadUrl;
  if (record.output) links.pullRequest = record.output.url;
  const agentId = record.dispatch?.agentId;
  const log = agentId ? options.agentLogUrl?.(agentId) : undefined;
  if (log) links.agentLog = log;
  if (options.traceUrl)
    links.trace = options.traceUrl.replaceAll(
      '{traceId}',
      traceIdFor(options.tenant, record.workItemId, record.run),
    );
  const history: ItemHistory = {
    tenant: options.tenant,
    workItemId: record.workItemId,
    key: record.item.key,
    title: record.item.title,
    status: record.status,
    reason: record.reason,
    run: record.run,
    labels: [...record.item.labels],
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    links,
    transitions: record.history,
    attempts,
    pendingEffects: record.pending.map((effect) => ({ id: effect.id, kind: effect.kind })),
  };
  if (record.route) history.route = record.route.name;
  if (record.clarification) {
    const wait = record.clarification;
    history.clarification = {
      question: wait.question,
      askedAt: wait.askedAt,
      expiresAt: wait.expiresAt,
      rounds: wait.rounds,
      answers: wait.answers.map((answer) => ({ author: answer.author, text: answer.text, at: answer.at })),
    };
  }
  if (record.feedback) {
    const feedback = record.feedback;
    history.feedback = {
      rounds: feedback.rounds,
      given: feedback.given.map(feedbackLine),
      waiting: feedback.waiting.map(feedbackLine),
      ...(feedback.stopped ? { stopped: feedback.stopped } : {}),
    };
  }
  if (record.output) history.output = { url: record.output.url, state: record.output.state };
  return history;
}

/**
 * The attempts, from the history's moves into and out of `dispatched`; the current dispatch adds what
 * only it keeps (agent id, exit code, the exit of an agent that succeeded, which moves nothing).
 */
function attemptsOf(record: WorkItemRecord): AgentAttempt[] {
  const attempts: AgentAttempt[] = [];
  let run = 1;
  let open: AgentAttempt | undefined;
  for (const entry of record.history) {
    // A finished item that became ready again starts its next run.
    if (entry.from !== null && isTerminal(entry.from) && !isTerminal(entry.to)) run++;
    if (open && entry.from === 'dispatched' && entry.to !== 'dispatched') {
      open.endedAt = entry.at;
      open.durationMs = entry.at - open.startedAt;
      open.reason = entry.reason;
      const code = EXIT_CODE.exec(entry.reason)?.[1];
      if (code !== undefined) open.exitCode = Number(code);
      open.outcome =
        entry.to === 'done' ? 'succeeded' : entry.event === 'agent.exited' || code ? 'failed' : 'ended';
      open = undefined;
    }
    if (entry.to === 'dispatched' && entry.from !== 'dispatched') {
      open = { number: attempts.length + 1, run, startedAt: entry.at, outcome: 'running' };
      attempts.push(open);
    }
  }
  const dispatch = record.dispatch;
  const current = attempts.at(-1);
  if (dispatch && current && current.outcome === 'running') {
    current.startedAt = dispatch.dispatchedAt;
    if (dispatch.agentId) current.agentId = dispatch.agentId;
    if (dispatch.exitedAt !== undefined) {
      current.endedAt = dispatch.exitedAt;
      current.durationMs = dispatch.exitedAt - dispatch.dispatchedAt;
      current.outcome = dispatch.exitCode === 0 ? 'succeeded' : 'failed';
    }
    if (dispatch.exitCode !== undefined) current.exitCode = dispatch.exitCode;
  } else if (dispatch?.agentId && current && current.run === record.run && current.agentId === undefined) {
    current.agentId = dispatch.agentId;
    if (current.exitCode === undefined && dispatch.exitCode !== undefined)
      current.exitCode = dispatch.exitCode;
  }
  return attempts;
}

function isTerminal(status: WorkItemStatus): boolean {
  return status === 'done' || status === 'failed' || status === 'cancelled';
}

function feedbackLine(note: FeedbackNote): FeedbackLine {
  switch (note.kind) {
    case 'review':
      return {
        at: note.at,
        kind: note.kind,
        from: note.author.name ?? note.author.id,
        text: [note.verdict, note.body, ...note.comments.map((comment) => comment.body)]
          .filter(Boolean)
          .join(' · '),
        ...(note.url ? { url: note.url } : {}),
      };
    case 'comment':
      return {
        at: note.at,
        kind: note.kind,
        from: note.author.name ?? note.author.id,
        text: note.body,
        ...(note.url ? { url: note.url } : {}),
      };
    case 'check-failed':
      return {
        at: note.at,
        kind: note.kind,
        from: note.name,
        text: [note.conclusion, note.summary].filter(Boolean).join(' · '),
        ...(note.url ? { url: note.url } : {}),
      };
  }
}
