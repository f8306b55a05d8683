import type { WebhookInterpretation } from '@software-factory/sdk';
import { WebhookError } from '@software-factory/sdk';
import { z } from 'zod';
import { commentThreadId } from './issue-comment-clarification-channel.ts';
import type { LinearClient } from './linear-client.ts';

export interface LinearCommentRepliesOptions {
  client: LinearClient;
  /** The factory's own Linear user id; asked from `viewer` when absent. */
  botUserId?: string;
}

const commentSchema = z.object({
  id: z.string().min(1),
  body: z.string().default(''),
  issueId: z.string().min(1).optional(),
  issue: z.object({ id: z.string().min(1) }).optional(),
  userId: z.string().min(1).optional(),
  user: z.object({ id: z.string().optional(), name: z.string().optional() }).optional(),
});

const VIEWER_QUERY = 'query FactoryViewerId { viewer { id } }';

/**
 * Linear `Comment` create webhooks as answers, when comments are the clarification channel: a person's
 * comment on an issue replies in the thread `comments:<issue id>`. The factory's own comments (written
 * with its token, so by its user) are not answers.
 */
export class LinearCommentReplies {
  readonly #client: LinearClient;
  readonly #botUserId: string | undefined;
  #viewer: Promise<string> | undefined;

  constructor(options: LinearCommentRepliesOptions) {
    this.#client = options.client;
    this.#botUserId = options.botUserId;
  }

  async interpret(
    action: string,
    data: Record<string, unknown>,
  ): Promise<Omit<WebhookInterpretation, 'deliveryId'>> {
    if (action !== 'create')
      return { events: [], ignored: `Linear Comment action "${action}" is not an answer` };
    const parsed = commentSchema.safeParse(data);
    if (!parsed.success) throw new WebhookError(400, 'Linear Comment payload lacks its id');
    const comment = parsed.data;
    const issueId = comment.issueId ?? comment.issue?.id;
    if (!issueId) return { events: [], ignored: 'a comment that is not on an issue is not an answer' };
    const author = comment.userId ?? comment.user?.id;
    if (!author) return { events: [], ignored: 'comments written by integrations are not answers' };
    if (author === (await this.#ownUserId()))
      return { events: [], ignored: 'the factory wrote this comment' };
    return {
      events: [
        {
          type: 'clarification.replied',
          threadId: commentThreadId(issueId),
          messageId: comment.id,
          text: comment.body,
          author: comment.user?.name ?? author,
        },
      ],
    };
  }

  #ownUserId(): Promise<string> {
    if (this.#botUserId) return Promise.resolve(this.#botUserId);
    if (!this.#viewer) {
      this.#viewer = this.#client
        .request<{ viewer: { id: string } }>('FactoryViewerId', VIEWER_QUERY)
        .then((result) => result.viewer.id);
      this.#viewer.catch(() => {
        this.#viewer = undefined;
      });
    }
    return this.#viewer;
  }
}
