import type { OutputSnapshot } from '../work-item.ts';
import type { Connectable } from './connection.ts';

/** Where agents deliver their work (pull or merge requests). */
export interface OutputTarget extends Connectable {
  /** Reads one output by the id it reported in `output.changed`. */
  getOutput(id: string): Promise<OutputSnapshot | undefined>;
  /** Finds the output on a branch, for the tick's reconciliation when an event was missed. */
  findOutput(repository: string, branch: string): Promise<OutputSnapshot | undefined>;
}
