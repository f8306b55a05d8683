import {
  type AuthorPolicy,
  type IncomingWebhook,
  type TrustedAuthorsConfig,
  WebhookError,
  type WebhookInterpretation,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { commentThreadId } from '../comments/clarification-channel.ts';
import { GithubSignedWebhookSource, githubEventOf, githubPong } from '../github/delivery.ts';
import { GITHUB_COMMENT_MARKER } from '../github/issue-comments.ts';
import type { WebhookSecretSource } from '../github/signature.ts';
import {
  type GithubAuthorAssociation,
  githubAuthorPolicy,
  githubReplyAuthor,
} from '../shared/answer-trust.ts';
import { githubIssueSchema } from './issue.ts';
import type { GithubIssuesWorkItemProvider } from './work-item-provider.ts';

export interface GithubIssuesWebhookSourceOptions {
  /** The webhook's secret, as set in the repository, organisation or app settings; a function when it is read per delivery (the App `factory connect github --app` stored). */
  secret: WebhookSecretSource;
  provider: GithubIssuesWorkItemProvider;
  /** True when the tenant's clarification channel is `comments`: a person's comment answers a question. */
  commentReplies?: boolean;
  /**
   * Whose comment counts as an answer: `roles` are `author_association` values (default OWNER, MEMBER,
   * COLLABORATOR: people with a role on the repository), `users` logins or numeric user ids.
   */
  trustedAuthors?: TrustedAuthorsConfig;
}

/** Actions that change what the factory sees of an issue: content, labels, open or closed. */
const ISSUE_ACTIONS = new Set(['opened', 'edited', 'labeled', 'unlabeled', 'closed', 'reopened']);

const issuesSchema = z.object({
  action: z.string().check(z.minLength(1)),
  issue: githubIssueSchema,
  repository: z.object({ full_name: z.string().check(z.minLength(1)) }),
});

const commentSchema = z.object({
  action: z.string().check(z.minLength(1)),
  issue: z.object({ number: z.int().check(z.positive()), pull_request: z.optional(z.unknown()) }),
  comment: z.object({
    id: z.number(),
    body: z.nullish(z.string()),
    user: z.nullish(
      z.object({ login: z.string(), id: z.optional(z.number()), type: z.optional(z.string()) }),
    ),
    author_association: z.optional(z.string()),
    performed_via_github_app: z.optional(z.unknown()),
  }),
  repository: z.object({ full_name: z.string().check(z.minLength(1)) }),
});

/**
 * GitHub `issues` webhooks become `work-item.changed`; `issue_comment` (created) becomes
 * `clarification.replied` when comments are the clarification channel. Same signature as the `github`
 * source (`X-Hub-Signature-256`), same replay protection (`X-GitHub-Delivery`).
 */
export class GithubIssuesWebhookSource extends GithubSignedWebhookSource {
  readonly source = 'github-issues';
  readonly #provider: GithubIssuesWorkItemProvider;
  readonly #commentReplies: boolean;
  readonly #trust: AuthorPolicy<GithubAuthorAssociation>;

  constructor(options: GithubIssuesWebhookSourceOptions) {
    super(options.secret, 'GitHub Issues webhook');
    this.#provider = options.provider;
    this.#commentReplies = options.commentReplies ?? false;
    this.#trust = githubAuthorPolicy(options.trustedAuthors, 'GitHub Issues webhook');
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const { event, base } = githubEventOf(request);
    const body = request.json();
    if (event === 'ping') return githubPong(base);
    if (event === 'issues') return { ...base, ...this.#issue(body) };
    if (event === 'issue_comment') return { ...base, ...this.#comment(body) };
    return { ...base, events: [], ignored: `GitHub ${event} events do not change issues` };
  }

  #issue(body: unknown): Omit<WebhookInterpretation, 'deliveryId'> {
    const action = (body as { action?: unknown } | null)?.action;
    if (typeof action !== 'string' || action === '')
      throw new WebhookError(400, 'issues payload without an action');
    // Checked first: other actions (deleted, transferred) carry issue shapes the factory does not read.
    if (!ISSUE_ACTIONS.has(action))
      return { events: [], ignored: `issues action "${action}" does not change the work item` };
    const parsed = issuesSchema.safeParse(body);
    if (!parsed.success)
      throw new WebhookError(400, `issues payload is incomplete: ${describe(parsed.error)}`);
    const { issue, repository } = parsed.data;
    if (!this.#provider.follows(repository.full_name))
      return { events: [], ignored: `${repository.full_name} is not a repository the factory follows` };
    return {
      events: [{ type: 'work-item.changed', item: this.#provider.toWorkItem(issue, repository.full_name) }],
    };
  }

  #comment(body: unknown): Omit<WebhookInterpretation, 'deliveryId'> {
    if (!this.#commentReplies)
      return {
        events: [],
        ignored: 'issue comments are not answers: the clarification channel is not comments',
      };
    const parsed = commentSchema.safeParse(body);
    if (!parsed.success)
      throw new WebhookError(400, `issue_comment payload is incomplete: ${describe(parsed.error)}`);
    const { action, issue, comment, repository } = parsed.data;
    if (action !== 'created')
      return { events: [], ignored: `issue_comment action "${action}" is not an answer` };
    if (issue.pull_request !== undefined)
      return { events: [], ignored: 'comments on pull requests are not answers' };
    if (!this.#provider.follows(repository.full_name))
      return { events: [], ignored: `${repository.full_name} is not a repository the factory follows` };
    const text = comment.body ?? '';
    const login = comment.user?.login;
    if (text.includes(GITHUB_COMMENT_MARKER) || (login && login === this.#provider.botLogin))
      return { events: [], ignored: 'the factory wrote this comment' };
    if (!login || comment.user?.type === 'Bot')
      return { events: [], ignored: 'comments from bots are not answers' };
    return {
      events: [
        {
          type: 'clarification.replied',
          threadId: commentThreadId(this.#provider.issueId(repository.full_name, issue.number)),
          messageId: String(comment.id),
          text,
          author: githubReplyAuthor(this.#trust, login, comment.user?.id, comment.author_association),
        },
      ],
    };
  }
}

function describe(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`)
    .join('; ');
}
