import type { WorkItem } from '../work-item.ts';
import type { Connectable, WriteOptions } from './connection.ts';

export interface OpenedThread {
  threadId: string;
  url?: string;
}

/** Where the factory asks people what a vague work item means. */
export interface ClarificationChannel extends Connectable {
  /** True when the question itself is posted on the work item, so the core adds no comment pointing to it. */
  readonly asksOnWorkItem?: boolean;
  openThread(item: WorkItem, question: string, options: WriteOptions): Promise<OpenedThread>;
  reply(threadId: string, text: string, options: WriteOptions): Promise<void>;
}
