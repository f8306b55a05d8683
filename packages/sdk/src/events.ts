import type { OutputSnapshot, WorkItem } from './work-item.ts';

/** A work item was created or changed in the tracker. */
export interface WorkItemChangedEvent {
  type: 'work-item.changed';
  item: WorkItem;
}

/**
 * Who wrote a reply, and whether the channel vouches for them. The channel decides, because only it has
 * the vendor's data (a role on the repository, membership of the chat channel, the item's reporter);
 * the core takes a reply as an answer only when `trusted` is true.
 */
export interface ReplyAuthor {
  /** The vendor's stable id or login of the person. */
  id: string;
  /** How people see the name, when the vendor gives one; the answer is recorded under it. */
  name?: string;
  trusted: boolean;
  /** Why the channel trusts the author or not, in words an operator can read, e.g. `author_association NONE`. */
  reason: string;
}

/** A person answered in a clarification thread. */
export interface ClarificationRepliedEvent {
  type: 'clarification.replied';
  threadId: string;
  /** Unique per message; a re-delivered reply is recognised by it. */
  messageId: string;
  text: string;
  author: ReplyAuthor;
}

/** A pull/merge request was opened, changed draft state, merged or closed. */
export interface OutputChangedEvent {
  type: 'output.changed';
  output: OutputSnapshot;
}

/** One remark of a review, where the code host anchors it (a file and line) when it does. */
export interface FeedbackComment {
  body: string;
  path?: string;
  line?: number;
  url?: string;
}

/**
 * What was said or found about an output after it was opened, as the output provider read it. `id` is
 * the code host's id of the review, comment, check run or push: one round per id at most.
 */
export type OutputFeedback =
  | {
      kind: 'review';
      id: string;
      author: ReplyAuthor;
      /** `changes-requested`, or `commented` with a body or remarks (an approval is no feedback). */
      verdict: 'changes-requested' | 'commented';
      body: string;
      comments: readonly FeedbackComment[];
      url?: string;
    }
  | { kind: 'comment'; id: string; author: ReplyAuthor; body: string; url?: string }
  | {
      kind: 'check-failed';
      id: string;
      /** The check's name (a CI job, a workflow, a pipeline). */
      name: string;
      /** How it ended, in the code host's word (`failure`, `timed_out`, `failed`). */
      conclusion: string;
      summary?: string;
      url?: string;
    }
  /** A person (not the agent) pushed to the output's branch: they took the work over. */
  | { kind: 'pushed'; id: string; author: ReplyAuthor };

/** A reviewer, a commenter, a check or a person's push said something about an output. */
export interface OutputFeedbackEvent {
  type: 'output.feedback';
  /** The output it is about; its branch, title or body names the item, as for `output.changed`. */
  output: Pick<OutputSnapshot, 'id' | 'url' | 'branch' | 'title' | 'body'>;
  feedback: OutputFeedback;
}

/** An agent ended. `exitCode` 0 is success; `lost` means the fleet no longer knows it. */
export interface AgentExitedEvent {
  type: 'agent.exited';
  agentId: string;
  outcome: 'succeeded' | 'failed' | 'lost';
  exitCode?: number;
  reason?: string;
  /** Fleets that carry it let the core find the item even if the agent map write was lost. */
  workItemId?: string;
}

/** The periodic safety net: expire waits, repair what a crash left behind, drain the queue. */
export interface TickEvent {
  type: 'tick';
}

/** An agent's end as a fleet reports it, before it becomes an event. */
export type AgentExit = Omit<AgentExitedEvent, 'type'>;

export type FactoryEvent =
  | WorkItemChangedEvent
  | ClarificationRepliedEvent
  | OutputChangedEvent
  | OutputFeedbackEvent
  | AgentExitedEvent
  | TickEvent;

export type FactoryEventType = FactoryEvent['type'];

export const FACTORY_EVENT_TYPES: readonly FactoryEventType[] = [
  'work-item.changed',
  'clarification.replied',
  'output.changed',
  'output.feedback',
  'agent.exited',
  'tick',
];
