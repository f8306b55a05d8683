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
}
