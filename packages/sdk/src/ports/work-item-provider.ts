import type { WorkItem } from '../work-item.ts';
import type { Connectable, WriteOptions } from './connection.ts';

/**
 * What the factory writes back to the tracker:
 * - `dispatched`: an agent started (the configured in-progress state and marker);
 * - `needs-review`: the agent's output is ready for review while completion waits for the merge
 *   (`completion.on: merged`); a write-back while the item stays `dispatched`, not a status change;
 * - `done`: the output completed the item (the done state; the factory's markers come off);
 * - `cancelled`: the factory stopped working on the item (a person took it out of ready, or its last
 *   attempt failed). The factory's markers come off and the item no longer reads ready for dispatch, so
 *   nothing starts it again until a person moves it back. A tracker state stays where it is (as the person
 *   set it, or where `dispatched` moved it); where a label is all that says ready, that label comes off.
 */
export type WritebackState = 'dispatched' | 'needs-review' | 'done' | 'cancelled';

/**
 * What a comment the core writes says, as data: the type of the message it was rendered from (the
 * record's `CommentMessage`; the effect that posts it only compiles while the two agree).
 */
export type CommentTopic =
  | 'clarification-asked'
  | 'dispatched'
  | 'completed'
  | 'retrying'
  | 'failed'
  | 'gave-up-waiting'
  | 'blocked'
  | 'cancelled'
  | 'feedback-exhausted';

/**
 * A comment's write options. `about` names what it says, for a tracker that shows the factory's
 * progress as more than text (an agent session's kinds of activity: a step taken, a final answer, an
 * error); a tracker that only comments ignores it.
 */
export interface CommentOptions extends WriteOptions {
  about?: CommentTopic;
}

/** The tracker the work comes from (the intake). */
export interface WorkItemProvider extends Connectable {
  /** Whether the item is in the configured ready state with the configured labels. */
  isReadyForDispatch(item: WorkItem): boolean;
  /**
   * Moves the item to the tracker state configured for `state` and applies the configured markers,
   * then reads the item back and throws when the state or a marker is not there, so the core keeps the
   * effect pending and retries it. Idempotent: a repeat with the item already there writes nothing.
   */
  setState(item: WorkItem, state: WritebackState, options: WriteOptions): Promise<void>;
  /**
   * Posts a comment. It carries `options.traceId` where readers do not see it (the vendor's hidden
   * metadata), and a repeat with the same idempotency key is one comment.
   */
  postComment(item: WorkItem, body: string, options: CommentOptions): Promise<void>;
  /** Reads one item by id, key or URL; `undefined` when the tracker has no such item. */
  getWorkItem(ref: string): Promise<WorkItem | undefined>;
}
