import {
  type AuthorPolicy,
  authorPolicy,
  listedAuthor,
  type ReplyAuthor,
  replyAuthor,
  trustedAuthorsSchema,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { parseConfig } from './provider-config.ts';

/**
 * Who may answer a clarification question, per channel. The webhook source that turns a reply into
 * `clarification.replied` decides, from the vendor's own data, and says why; the core only reads the
 * verdict. Every default trusts people who already shape the work, never a passer-by.
 */

/** GitHub's `author_association` values, as webhooks carry them on a comment. */
export const GITHUB_AUTHOR_ASSOCIATIONS = [
  'OWNER',
  'MEMBER',
  'COLLABORATOR',
  'CONTRIBUTOR',
  'FIRST_TIME_CONTRIBUTOR',
  'FIRST_TIMER',
  'MANNEQUIN',
  'NONE',
] as const;
export type GithubAuthorAssociation = (typeof GITHUB_AUTHOR_ASSOCIATIONS)[number];
/** The repository's owner, members of its organisation, and collaborators: people with a role on it. */
export const GITHUB_ISSUES_DEFAULT_ROLES: readonly GithubAuthorAssociation[] = [
  'OWNER',
  'MEMBER',
  'COLLABORATOR',
];

export const JIRA_AUTHOR_ROLES = ['reporter', 'assignee', 'member'] as const;
export type JiraAuthorRole = (typeof JIRA_AUTHOR_ROLES)[number];
export const JIRA_DEFAULT_ROLES: readonly JiraAuthorRole[] = JIRA_AUTHOR_ROLES;

export const LINEAR_AUTHOR_ROLES = ['creator', 'assignee', 'member'] as const;
export type LinearAuthorRole = (typeof LINEAR_AUTHOR_ROLES)[number];
export const LINEAR_DEFAULT_ROLES: readonly LinearAuthorRole[] = LINEAR_AUTHOR_ROLES;

export const SLACK_AUTHOR_ROLES = ['channel-member'] as const;
export type SlackAuthorRole = (typeof SLACK_AUTHOR_ROLES)[number];
export const SLACK_DEFAULT_ROLES: readonly SlackAuthorRole[] = SLACK_AUTHOR_ROLES;

export const githubIssuesTrustedAuthorsSchema = trustedAuthorsSchema(
  GITHUB_AUTHOR_ASSOCIATIONS,
  z
    .string()
    .check(
      z.regex(
        /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/,
        'expected a GitHub login such as octocat, or a numeric user id',
      ),
    ),
);
export const jiraTrustedAuthorsSchema = trustedAuthorsSchema(
  JIRA_AUTHOR_ROLES,
  z
    .string()
    .check(
      z.regex(
        /^[A-Za-z0-9][A-Za-z0-9:_-]{0,127}$/,
        'expected a Jira accountId such as 5b10ac8d82e05b22cc7d4ef5 (display names and emails are not ids)',
      ),
    ),
);
export const linearTrustedAuthorsSchema = trustedAuthorsSchema(
  LINEAR_AUTHOR_ROLES,
  z
    .string()
    .check(
      z.regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
        'expected a Linear user id (a UUID, as the API and webhooks give it)',
      ),
    ),
);
export const slackTrustedAuthorsSchema = trustedAuthorsSchema(
  SLACK_AUTHOR_ROLES,
  z
    .string()
    .check(
      z.regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user id such as U0123ABCD (names change; ids do not)'),
    ),
);

/** GitHub's trust rule from a `trustedAuthors` config (roles are `author_association` values, users logins or ids). */
export function githubAuthorPolicy(
  trustedAuthors: unknown,
  what: string,
): AuthorPolicy<GithubAuthorAssociation> {
  return authorPolicy(
    parseTrustedAuthors(githubIssuesTrustedAuthorsSchema, trustedAuthors, what),
    GITHUB_ISSUES_DEFAULT_ROLES,
    (login) => login.toLowerCase(),
  );
}

/**
 * A GitHub author as the policy sees them: GitHub says, on the comment or review itself, which role its
 * author has on the repository (`author_association`); a listed login or id is trusted whatever the role.
 */
export function githubReplyAuthor(
  policy: AuthorPolicy<GithubAuthorAssociation>,
  login: string,
  id: number | undefined,
  association: string | undefined,
): ReplyAuthor {
  const listed = listedAuthor(policy, login, id === undefined ? undefined : String(id));
  if (listed) return replyAuthor(login, true, `${listed} is listed in trustedAuthors.users`);
  const role = association ?? 'missing';
  if ((policy.roles as ReadonlySet<string>).has(role))
    return replyAuthor(login, true, `author_association ${role}`);
  const roles = [...policy.roles];
  return replyAuthor(
    login,
    false,
    `author_association ${role} is not ${roles.length > 0 ? `one of ${roles.join(', ')}` : 'a trusted role (none is)'}, and the login is not in trustedAuthors.users`,
  );
}

/**
 * `trustedAuthors` of the comments channel: its roles and ids are the intake's, checked against the
 * intake's schema (`commentTrustedAuthorsSchemas`) where the intake is known.
 */
export const commentsTrustedAuthorsSchema = z
  .strictObject({
    roles: z.optional(z.array(z.string().check(z.minLength(1)))),
    users: z.optional(z.array(z.string().check(z.minLength(1)))),
  })
  .check(z.describe('#comments.trustedAuthors'));

/** The intakes whose comments can answer, and so have comment-author roles. */
export const COMMENT_TRUST_INTAKES = ['github-issues', 'jira', 'linear'] as const;

/** The `trustedAuthors` schema of comment replies, by intake type. */
export const commentTrustedAuthorsSchemas = {
  'github-issues': githubIssuesTrustedAuthorsSchema,
  jira: jiraTrustedAuthorsSchema,
  linear: linearTrustedAuthorsSchema,
} as const;

/** Parses `trustedAuthors` with a channel's schema, throwing one error that names the bad field. */
export function parseTrustedAuthors<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> | undefined {
  const parsed = parseConfig(
    z.object({ trustedAuthors: z.optional(schema) }),
    { trustedAuthors: value },
    what,
  );
  return parsed.trustedAuthors as z.output<S> | undefined;
}
