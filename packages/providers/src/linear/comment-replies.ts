import { type TrustedAuthorsConfig, WebhookError, type WebhookInterpretation } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { commentThreadId } from '../comments/clarification-channel.ts';
import { LinearAuthorTrust } from './author-trust.ts';
import type { LinearClient } from './client.ts';

export interface LinearCommentRepliesOptions {
  client: LinearClient;
  /** The factory's own Linear user id; asked from `viewer` when absent. */
  botUserId?: string;
  /**
   * Whose comment counts as an answer: `roles` of `creator`, `assignee` (of the issue) and `member` (an
   * active user of the workspace who is neither a guest nor an app); all three by default. `users`: user
   * ids.
   */
  trustedAuthors?: TrustedAuthorsConfig;
}

const commentSchema = z.object({
  id: z.string().check(z.minLength(1)),
  body: z._default(z.string(), ''),
  issueId: z.optional(z.string().check(z.minLength(1))),
  issue: z.optional(z.object({ id: z.string().check(z.minLength(1)) })),
  userId: z.optional(z.string().check(z.minLength(1))),
  user: z.optional(z.object({ id: z.optional(z.string()), name: z.optional(z.string()) })),
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
  readonly #trust: LinearAuthorTrust;
  #viewer: Promise<string> | undefined;

  constructor(options: LinearCommentRepliesOptions) {
    this.#client = options.client;
    this.#botUserId = options.botUserId;
    this.#trust = new LinearAuthorTrust(options.client, options.trustedAuthors, 'Linear comment replies');
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
          author: await this.#trust.author(author, issueId, comment.user?.name),
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
