import type {
  ClarificationChannel,
  ConnectionStatus,
  OpenedThread,
  WorkItem,
  WorkItemProvider,
  WriteOptions,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { commentsTrustedAuthorsSchema } from '../shared/answer-trust.ts';
import { parseConfig } from '../shared/provider-config.ts';

const THREAD_PREFIX = 'comments:';

/** The thread of a work item's own comments: one per item, so it is derived from the item's id. */
export function commentThreadId(workItemId: string): string {
  return `${THREAD_PREFIX}${workItemId}`;
}

/** The work item id inside `comments:<id>`; throws for any other thread id. */
export function workItemIdOfThread(threadId: string): string {
  if (!threadId.startsWith(THREAD_PREFIX) || threadId.length === THREAD_PREFIX.length)
    throw new Error(`not a comment thread id: "${threadId}" (expected comments:<work item id>)`);
  return threadId.slice(THREAD_PREFIX.length);
}

export const commentsConfigSchema = z.strictObject({
  provider: z._default(z.string().check(z.minLength(1)), 'comments'),
  /**
   * Who may answer, in the intake's terms (see `commentTrustedAuthorsSchemas`); the intake's webhook
   * source applies it. Absent: the intake's defaults.
   */
  trustedAuthors: z.optional(commentsTrustedAuthorsSchema),
});
export type CommentsConfig = z.input<typeof commentsConfigSchema>;

export interface CommentsChannelOptions extends CommentsConfig {
  /** The intake; questions and replies are written as comments through its write path. */
  workItems: WorkItemProvider;
}

/**
 * Asks on the work item itself, for teams without a chat: the question is a comment on the item, and the
 * next comment a trusted person writes there is the answer (each intake's webhook source turns its comment events
 * into `clarification.replied` for `comments:<item id>`, skipping the factory's own comments).
 *
 * It writes only through `WorkItemProvider.postComment`, whose idempotency (Linear's client id, Jira's
 * comment property, GitHub's hidden marker) makes a retried question one comment. It needs no scope or
 * token of its own: the intake's `comment` scopes cover it.
 */
export class IssueCommentClarificationChannel implements ClarificationChannel {
  readonly provider: string;
  readonly requiredScopes: readonly string[] = [];
  /** The question is the comment on the item; the core adds no second one pointing to it. */
  readonly asksOnWorkItem = true;
  readonly #workItems: WorkItemProvider;

  constructor(options: CommentsChannelOptions) {
    const { workItems, ...config } = options;
    const parsed = parseConfig(commentsConfigSchema, config, 'comments clarification channel');
    if (!workItems)
      throw new Error(
        'invalid comments clarification channel config: workItems: an intake provider is required',
      );
    this.provider = parsed.provider;
    this.#workItems = workItems;
  }

  async openThread(item: WorkItem, question: string, options: WriteOptions): Promise<OpenedThread> {
    await this.#workItems.postComment(item, questionText(question), options);
    // No URL: the thread is the item itself, which the factory's own note already links.
    return { threadId: commentThreadId(item.id) };
  }

  async reply(threadId: string, text: string, options: WriteOptions): Promise<void> {
    const workItemId = workItemIdOfThread(threadId);
    const item = await this.#workItems.getWorkItem(workItemId);
    if (!item)
      throw new Error(
        `cannot reply on ${threadId}: ${this.#workItems.provider} has no work item ${workItemId}`,
      );
    await this.#workItems.postComment(item, text, options);
  }

  /** Connected when the intake is: there is nothing else to connect. */
  async checkConnection(): Promise<ConnectionStatus> {
    return { state: 'connected', identity: `comments on ${this.#workItems.provider} work items` };
  }
}

function questionText(question: string): string {
  return `Question from the factory before an agent starts:\n\n> ${question.replace(/\n/g, '\n> ')}\n\nAnswer with a comment on this item; the next comment by someone on the team is taken as the answer.`;
}
