import {
  type AuthorPolicy,
  authorPolicy,
  listedAuthor,
  type ReplyAuthor,
  replyAuthor,
  type TrustedAuthorsConfig,
} from '@software-factory/sdk';
import {
  LINEAR_DEFAULT_ROLES,
  type LinearAuthorRole,
  linearTrustedAuthorsSchema,
  parseTrustedAuthors,
} from '../shared/answer-trust.ts';
import type { LinearClient } from './client.ts';

const AUTHOR_QUERY = `query FactoryCommentAuthor($user: String!, $issue: String!) {
  user(id: $user) { id active guest app }
  issue(id: $issue) { creator { id } assignee { id } }
}`;

interface AuthorFacts {
  user?: { id: string; active?: boolean; guest?: boolean; app?: boolean } | null;
  issue?: { creator?: { id: string } | null; assignee?: { id: string } | null } | null;
}

/**
 * Whose words on a Linear issue count as an answer: `roles` of `creator`, `assignee` (of the issue)
 * and `member` (an active user of the workspace who is neither a guest nor an app), all three by
 * default, and the user ids listed in `users`. Shared by comment replies and agent session prompts.
 */
export class LinearAuthorTrust {
  readonly #client: LinearClient;
  readonly #trust: AuthorPolicy<LinearAuthorRole>;

  constructor(client: LinearClient, trustedAuthors: TrustedAuthorsConfig | undefined, what: string) {
    this.#client = client;
    this.#trust = authorPolicy(
      parseTrustedAuthors(linearTrustedAuthorsSchema, trustedAuthors, what),
      LINEAR_DEFAULT_ROLES,
      (id) => id.toLowerCase(),
    );
  }

  /**
   * Trusted: a listed user, the issue's creator or assignee, or a member of the workspace. Comments come
   * from the workspace's users only (integrations and external users carry no user id and never get
   * here), so a member is an active user who is not a guest (limited to some teams) and not an app. One
   * GraphQL call, only when the list does not settle it.
   */
  async author(userId: string, issueId: string, name: string | undefined): Promise<ReplyAuthor> {
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
}
