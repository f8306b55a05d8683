import type { OutputFeedback } from './events.ts';
import type { ClarificationAnswer, RouteDecision } from './ports/triage.ts';
import type { WritebackState } from './ports/work-item-provider.ts';
import type { OutputState, WorkItem } from './work-item.ts';

/** Where the factory is with one work item. The transitions between them are in `lifecycle.ts`. */
export type WorkItemStatus =
  | 'new'
  | 'waiting-clarification'
  | 'blocked'
  | 'queued'
  | 'dispatched'
  | 'done'
  | 'failed'
  | 'cancelled';

export const WORK_ITEM_STATUSES: readonly WorkItemStatus[] = [
  'new',
  'waiting-clarification',
  'blocked',
  'queued',
  'dispatched',
  'done',
  'failed',
  'cancelled',
];

export const TERMINAL_STATUSES: readonly WorkItemStatus[] = ['done', 'failed', 'cancelled'];

export interface ClarificationWait {
  question: string;
  threadId?: string;
  threadUrl?: string;
  askedAt: number;
  expiresAt: number;
  /** How many questions have been asked in this run. */
  rounds: number;
  reminded: boolean;
  answers: ClarificationAnswer[];
}

export interface DispatchInfo {
  attempt: number;
  idempotencyKey: string;
  branch: string;
  /** The concurrency pools whose slots this dispatch holds, and the holder name it holds them by. */
  pools: string[];
  slotHolder: string;
  dispatchedAt: number;
  agentId?: string;
  exitedAt?: number;
  exitCode?: number;
  /** When the tick next asks the fleet whether the agent still runs. */
  checkAt: number;
}

/** Feedback as the record keeps it: what the agent is given, stamped with when it arrived. */
export type FeedbackNote = Exclude<OutputFeedback, { kind: 'pushed' }> & { at: number };

/**
 * The review loop of one run: feedback on the output goes back to an agent on the same branch, one
 * round at a time, at most `feedback.maxRounds` rounds.
 */
export interface FeedbackRounds {
  /** Rounds started in this run. */
  rounds: number;
  /** The output the feedback is about; its comments say when a round starts and ends. */
  outputId: string;
  /** Feedback that arrived while an agent worked: it is given to the next round. */
  waiting: FeedbackNote[];
  /** The feedback the current round's agent was given (empty before the first round). */
  given: FeedbackNote[];
  /** Ids of the feedback acted on in this run, the latest few: a redelivery starts no second round. */
  seen: string[];
  /** Why no further round starts (a person pushed to the branch). */
  stopped?: string;
}

/** A message the factory writes on the output (a pull request); one per round start and end. */
export type OutputMessage =
  | { type: 'feedback-round-started'; round: number }
  | { type: 'feedback-round-finished'; round: number }
  | { type: 'feedback-exhausted'; rounds: number };

/** A message the factory writes to the work item; rendered when the effect runs, from the record. */
export type CommentMessage =
  | { type: 'clarification-asked' }
  | { type: 'dispatched' }
  | { type: 'completed' }
  | { type: 'retrying'; reason: string }
  | { type: 'failed'; reason: string }
  | { type: 'gave-up-waiting' }
  | { type: 'feedback-exhausted'; rounds: number }
  | { type: 'blocked'; blockers: string[] }
  | { type: 'cancelled'; reason: string };

/**
 * A side effect recorded before it is performed (an outbox), so that a crash between the state change
 * and the effect is finished by the next delivery or tick. `id` is unique within the record and makes
 * the effect's idempotency key.
 */
export type PendingEffect = { id: string } & (
  | { kind: 'set-state'; state: WritebackState }
  | { kind: 'comment'; message: CommentMessage }
  | { kind: 'output-comment'; outputId: string; message: OutputMessage }
  | { kind: 'open-thread' }
  | { kind: 'reply-thread'; text: string }
  | { kind: 'spawn' }
  /** An empty agentId means the agent the pending spawn started (its id is not known yet). */
  | { kind: 'release-agent'; agentId: string }
  | { kind: 'release-slots'; pools: string[]; holder: string }
  | { kind: 'enqueue' }
  | { kind: 'dequeue'; enqueuedAt: number }
);

export type PendingEffectKind = PendingEffect['kind'];

export interface HistoryEntry {
  at: number;
  from: WorkItemStatus | null;
  to: WorkItemStatus;
  event: string;
  reason: string;
}

export interface OutputLink {
  id: string;
  url: string;
  state: OutputState;
}

/**
 * The last change of one output the record acted on, kept across attempts and runs: a later event
 * about the output is applied only if it is newer, and an output closed or merged for an earlier
 * attempt never decides the current one (`pipeline/output-order.ts`).
 */
export interface SeenOutput {
  id: string;
  state: OutputState;
  /** The output's own update time of that change (the code host's clock); absent when the source gave none. */
  updatedAt?: string;
  /** The run and attempt it was acted on for. */
  run: number;
  attempt: number;
}

/** Everything the factory knows about one work item; the unit of compare-and-set. */
export interface WorkItemRecord {
  workItemId: string;
  /** Starts at 1; each successful write stores version + 1. */
  version: number;
  /** Increments each time a finished item becomes ready again: one dispatch at most per run. */
  run: number;
  status: WorkItemStatus;
  reason: string;
  item: WorkItem;
  route?: RouteDecision;
  clarification?: ClarificationWait;
  queuedAt?: number;
  /** A queued retry may not start before this time. */
  retryAt?: number;
  /** The open blockers a `blocked` item waits for, and when the tick checks them again. */
  blockedBy?: string[];
  blockCheckAt?: number;
  attempts: number;
  dispatch?: DispatchInfo;
  output?: OutputLink;
  /** The review loop of this run, once feedback arrived. */
  feedback?: FeedbackRounds;
  /** The outputs acted on so far, oldest first, a few at most; orders output events (see `SeenOutput`). */
  seenOutputs?: SeenOutput[];
  pending: PendingEffect[];
  /** An instance is performing `pending` until this time; after it, anyone may take over. */
  leaseUntil?: number;
  /** Which handler invocation holds the lease. */
  leaseOwner?: string;
  /** The earliest time the tick must look at this record; absent when nothing is due. */
  wakeAt?: number;
  history: HistoryEntry[];
  createdAt: number;
  updatedAt: number;
}
