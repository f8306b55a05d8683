import type { WorkItem } from '../work-item.ts';
import type { Connectable, WriteOptions } from './connection.ts';

/** The factory's states that it writes back to the tracker. */
export type WritebackState = 'dispatched' | 'done';

/** The tracker the work comes from (the intake). */
export interface WorkItemProvider extends Connectable {
  /** Whether the item is in the configured ready state with the configured labels. */
  isReadyForDispatch(item: WorkItem): boolean;
  /** Moves the item to the tracker state configured for `state`. */
  setState(item: WorkItem, state: WritebackState, options: WriteOptions): Promise<void>;
  postComment(item: WorkItem, body: string, options: WriteOptions): Promise<void>;
  /** Reads one item by id, key or URL; `undefined` when the tracker has no such item. */
  getWorkItem(ref: string): Promise<WorkItem | undefined>;
}
