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
  | AgentExitedEvent
  | TickEvent;

export type FactoryEventType = FactoryEvent['type'];

export const FACTORY_EVENT_TYPES: readonly FactoryEventType[] = [
  'work-item.changed',
  'clarification.replied',
  'output.changed',
  'agent.exited',
  'tick',
];
