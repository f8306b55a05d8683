import type { OutputFeedbackEvent } from '../events.ts';
import type { OutputSnapshot } from '../work-item.ts';
import type { Connectable, WriteOptions } from './connection.ts';

/** Where agents deliver their work (pull or merge requests). */
export interface OutputTarget extends Connectable {
  /** Reads one output by the id it reported in `output.changed`. */
  getOutput(id: string): Promise<OutputSnapshot | undefined>;
  /** Finds the output on a branch, for the tick's reconciliation when an event was missed. */
  findOutput(repository: string, branch: string): Promise<OutputSnapshot | undefined>;
  /**
   * Posts a comment on an output (a round of review feedback started or ended). It carries
   * `options.traceId` where readers do not see it, and a repeat with the same idempotency key is one
   * comment, as on the work item.
   */
  postComment(outputId: string, body: string, options: WriteOptions): Promise<void>;
  /**
   * Optional, for a code host that sends no lost delivery again: the feedback given on `output` (as
   * `getOutput` just read it) at or after `since` (epoch ms) that its webhook brings as `output.feedback`
   * events, as those events, oldest first: reviews that ask for changes or remark on it, comments
   * addressed to the agent, and checks that failed on the output's head commit where the code host has
   * them. Left out: feedback whose id is in `known` (taken already), and feedback by bots, by the factory
   * or by authors it does not trust, which starts nothing. The tick asks while an
   * output waits for review, every `completion.checkInterval`, so feedback whose event was lost still
   * starts its round.
   */
  feedbackSince?(
    output: OutputSnapshot,
    since: number,
    known: ReadonlySet<string>,
  ): Promise<OutputFeedbackEvent[]>;
}
