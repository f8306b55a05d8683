import type { FeedbackNote } from '../record.ts';
import type { OutputSnapshot, WorkItem } from '../work-item.ts';
import type { ClarificationAnswer, RouteDecision } from './triage.ts';

export interface RenderOptions {
  branch: string;
  attempt: number;
  answers: readonly ClarificationAnswer[];
  /** The last question the factory asked about the item, if it asked one (it may quote the item). */
  question?: string;
  /** In a round of review feedback: its number and the feedback the agent is to address. */
  feedback?: { round: number; notes: readonly FeedbackNote[] };
}

/** The agent's instructions, and the rule that links its output back to the work item. */
export interface TaskTemplate {
  render(item: WorkItem, route: RouteDecision, options: RenderOptions): string;
  /** The branch the agent must push to; it carries the item's key so the output can be linked back. */
  branchName(item: WorkItem): string;
  /** The work item key an output belongs to, from its branch, title or body; `undefined` if none. */
  findWorkItemKey(output: Pick<OutputSnapshot, 'branch' | 'title' | 'body'>): string | undefined;
}
