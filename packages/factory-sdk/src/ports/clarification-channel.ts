import type { WorkItem } from '../work-item.ts';
import type { Connectable, WriteOptions } from './connection.ts';

export interface OpenedThread {
  threadId: string;
  url?: string;
}

/** Where the factory asks people what a vague work item means. */
export interface ClarificationChannel extends Connectable {
  openThread(item: WorkItem, question: string, options: WriteOptions): Promise<OpenedThread>;
  reply(threadId: string, text: string, options: WriteOptions): Promise<void>;
}
