import {
  type AuthorPolicy,
  authorPolicy,
  listedAuthor,
  type ReplyAuthor,
  replyAuthor,
  type TrustedAuthorsConfig,
  WebhookError,
  type WebhookInterpretation,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { commentThreadId } from '../comments/clarification-channel.ts';
import {
  LINEAR_DEFAULT_ROLES,
  type LinearAuthorRole,
  linearTrustedAuthorsSchema,
  parseTrustedAuthors,
} from '../shared/answer-trust.ts';
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
const AUTHOR_QUERY = `query FactoryCommentAuthor($user: String!, $issue: String!) {
  user(id: $user) { id active guest app }
  issue(id: $issue) { creator { id } assignee { id } }
}`;

interface AuthorFacts {
  user?: { id: string; active?: boolean; guest?: boolean; app?: boolean } | null;
  issue?: { creator?: { id: string } | null; assignee?: { id: string } | null } | null;
}

/**
 * Linear `Comment` create webhooks as answers, when comments are the clarification channel: a person's
 * comment on an issue replies in the thread `comments:<issue id>`. The factory's own comments (written
 * with its token, so by its user) are not answers.
 */
export class LinearCommentReplies {
  readonly #client: LinearClient;
  readonly #botUserId: string | undefined;
  readonly #trust: AuthorPolicy<LinearAuthorRole>;
  #viewer: Promise<string> | undefined;

  constructor(options: LinearCommentRepliesOptions) {
    this.#client = options.client;
    this.#botUserId = options.botUserId;
    this.#trust = authorPolicy(
      parseTrustedAuthors(linearTrustedAuthorsSchema, options.trustedAuthors, 'Linear comment replies'),
      LINEAR_DEFAULT_ROLES,
      (id) => id.toLowerCase(),
    );
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
          author: await this.#author(author, issueId, comment.user?.name),
        },
      ],
    };
  }

  /**
   * Trusted: a listed user, the issue's creator or assignee, or a member of the workspace. Comments come
   * from the workspace's users only (integrations and external users carry no user id and never get
   * here), so a member is an active user who is not a guest (limited to some teams) and not an app. One
   * GraphQL call, only when the list does not settle it.
   */
  async #author(userId: string, issueId: string, name: string | undefined): Promise<ReplyAuthor> {
    if (listedAuthor(this.#trust, userId))
      return replyAuthor(userId, true, `${userId} is listed in trustedAuthors.users`, name);
    const roles = this.#trust.roles;
    if (roles.size === 0)
      return replyAuthor(userId, false, 'no role is trusted; not in trustedAuthors.users', name);
    const facts = await this.#client.request<AuthorFacts>('FactoryCommentAuthor', AUTHOR_QUERY, {
      user: userId,
      issue: issueId,
    });
    if (roles.has('creator') && facts.issue?.creator?.id === userId)
      return replyAuthor(userId, true, 'the creator of the issue', name);
    if (roles.has('assignee') && facts.issue?.assignee?.id === userId)
      return replyAuthor(userId, true, 'the assignee of the issue', name);
    const user = facts.user;
    const standing = !user
      ? 'not a user of the workspace'
      : user.app
        ? 'an app user'
        : user.guest
          ? 'a guest of the workspace'
          : user.active === false
            ? 'a deactivated user'
            : undefined;
    if (roles.has('member') && user && !standing)
      return replyAuthor(userId, true, 'a member of the workspace', name);
    const why = [
      ...(roles.has('member') ? [standing ?? 'membership not trusted'] : []),
      ...(roles.has('creator') || roles.has('assignee')
        ? [`not the ${[...roles].filter((role) => role !== 'member').join(' or ')} of the issue`]
        : []),
    ];
    return replyAuthor(userId, false, `${why.join('; ')}; not in trustedAuthors.users`, name);
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
