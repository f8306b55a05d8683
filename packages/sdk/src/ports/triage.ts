import type { WorkItem } from '../work-item.ts';

/** Where a work item goes: which repository, which kind of agent, which concurrency pool. */
export interface RouteDecision {
  name: string;
  repository: string;
  agent: string;
  /** Set when the route has a concurrency limit of its own on top of the tenant's. */
  maxInFlight?: number;
}

export interface ClarificationAnswer {
  messageId: string;
  author: string;
  text: string;
  at: number;
}

export interface TriageInput {
  item: WorkItem;
  answers: readonly ClarificationAnswer[];
}

export interface TriageDecision {
  /** Absent when no route matches. */
  route?: RouteDecision;
  /** 0–1: how sure triage is that an agent can do the work as written. */
  confidence: number;
  /** The single most useful question to ask when confidence is low. */
  question?: string;
  /** Why, in words an operator can read. */
  reasons: string[];
  /** Which kind of triage made the decision, e.g. `rules`, or `model` (and `rules` when a model fell back). */
  decidedBy?: string;
}

export interface Triage {
  triage(input: TriageInput): Promise<TriageDecision>;
}
