import {
  type AuthorPolicy,
  authorPolicy,
  type DeliveryIdentity,
  hmacSha256Hex,
  type IncomingWebhook,
  listedAuthor,
  type ReplyAuthor,
  replyAuthor,
  type TrustedAuthorsConfig,
  timingSafeEqual,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { commentThreadId } from '../comments/clarification-channel.ts';
import {
  JIRA_DEFAULT_ROLES,
  type JiraAuthorRole,
  jiraTrustedAuthorsSchema,
  parseTrustedAuthors,
} from '../shared/answer-trust.ts';
import { adfToText, isAdfDocument } from './atlassian-document.ts';
import { jiraIssueSchema } from './issue.ts';
import type { JiraWorkItemProvider } from './work-item-provider.ts';

export interface JiraWebhookSourceOptions {
  /** The secret set on the admin webhook (Jira: System → WebHooks → Secret). */
  secret: string;
  provider: JiraWorkItemProvider;
  /** True when the tenant's clarification channel is `comments`: a person's comment answers a question. */
  commentReplies?: boolean;
  /**
   * Whose comment counts as an answer: `roles` of `reporter`, `assignee` (of the issue) and `member`
   * (a user whose `accountType` is `atlassian`, not a service-desk customer or an app); all three by
   * default. `users`: account ids.
   */
  trustedAuthors?: TrustedAuthorsConfig;
}

const ISSUE_EVENTS = new Set(['jira:issue_created', 'jira:issue_updated']);

const envelopeSchema = z.object({
  webhookEvent: z.string().check(z.minLength(1)),
  timestamp: z.optional(z.number()),
  issue: z.optional(z.unknown()),
  comment: z.optional(z.unknown()),
});

const commentSchema = z.object({
  id: z.string().check(z.minLength(1)),
  body: z.unknown(),
  author: z.optional(
    z.object({
      accountId: z.optional(z.string().check(z.minLength(1))),
      displayName: z.optional(z.string()),
      accountType: z.optional(z.string()),
    }),
  ),
});

const personSchema = z.nullish(z.object({ accountId: z.optional(z.string()) }));

const commentedIssueSchema = z.object({
  id: z.string().check(z.minLength(1)),
  key: z.string().check(z.minLength(1)),
  fields: z.optional(
    z.object({
      project: z.optional(z.object({ key: z.string() })),
      reporter: personSchema,
      assignee: personSchema,
    }),
  ),
});

/**
 * Jira Cloud admin webhooks: `jira:issue_created`/`jira:issue_updated` become `work-item.changed`;
 * `comment_created` becomes `clarification.replied` when comments are the clarification channel. Jira
 * signs the raw body (`X-Hub-Signature: sha256=<hex>`) but no timestamp, and retries up to 30 minutes
 * later with the same `X-Atlassian-Webhook-Identifier`, which the app remembers to stop replays.
 */
export class JiraWebhookSource implements WebhookSource {
  readonly source = 'jira';
  readonly contentTypes = ['application/json'] as const;
  readonly #secret: string;
  readonly #provider: JiraWorkItemProvider;
  readonly #commentReplies: boolean;
  readonly #trust: AuthorPolicy<JiraAuthorRole>;

  constructor(options: JiraWebhookSourceOptions) {
    if (!options.secret) throw new Error('invalid Jira webhook config: secret: a webhook secret is required');
    this.#secret = options.secret;
    this.#provider = options.provider;
    this.#commentReplies = options.commentReplies ?? false;
    this.#trust = authorPolicy(
      parseTrustedAuthors(jiraTrustedAuthorsSchema, options.trustedAuthors, 'Jira webhook'),
      JIRA_DEFAULT_ROLES,
    );
  }

  async verify(request: IncomingWebhook): Promise<void> {
    const header = request.headers.get('x-hub-signature')?.trim();
    if (!header)
      throw new WebhookError(401, 'missing X-Hub-Signature header (is a secret set on the Jira webhook?)');
    if (!header.toLowerCase().startsWith('sha256='))
      throw new WebhookError(401, 'X-Hub-Signature must start with sha256=');
    const expected = `sha256=${await hmacSha256Hex(this.#secret, request.rawBody)}`;
    if (!timingSafeEqual(header.toLowerCase(), expected))
      throw new WebhookError(401, 'X-Hub-Signature does not match the body');
  }

  /**
   * By either, two keys: Jira signs no timestamp, so a captured delivery could come back any time under a
   * new X-Atlassian-Webhook-Identifier (not signed), and its documentation does not promise that a retry
   * resends the same bytes, only the same identifier.
   */
  identify(request: IncomingWebhook): DeliveryIdentity {
    const deliveryId = request.headers.get('x-atlassian-webhook-identifier') ?? undefined;
    return { ...(deliveryId ? { deliveryId } : {}), recognisedBy: 'id-and-body' };
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const deliveryId = request.headers.get('x-atlassian-webhook-identifier') ?? undefined;
    const base = deliveryId ? { deliveryId } : {};
    const envelope = envelopeSchema.safeParse(request.json());
    if (!envelope.success)
      throw new WebhookError(400, `not a Jira webhook payload: ${describe(envelope.error)}`);
    const { webhookEvent, timestamp } = envelope.data;
    if (webhookEvent === 'comment_created') return { ...base, ...(await this.#comment(envelope.data)) };
    if (!ISSUE_EVENTS.has(webhookEvent))
      return { ...base, events: [], ignored: `Jira ${webhookEvent} webhooks do not change work items` };
    const issue = jiraIssueSchema.safeParse(envelope.data.issue);
    if (!issue.success)
      throw new WebhookError(400, `Jira ${webhookEvent} payload is incomplete: ${describe(issue.error)}`);
    if (!this.#provider.followsProject(issue.data.fields.project.key))
      return {
        ...base,
        events: [],
        ignored: `project ${issue.data.fields.project.key} is not one the factory follows`,
      };
    return {
      ...base,
      events: [
        {
          type: 'work-item.changed',
          item: this.#provider.toWorkItem(issue.data, timestamp ?? request.receivedAt),
        },
      ],
    };
  }

  async #comment(
    payload: z.infer<typeof envelopeSchema>,
  ): Promise<Omit<WebhookInterpretation, 'deliveryId'>> {
    if (!this.#commentReplies)
      return {
        events: [],
        ignored: 'Jira comment_created webhooks are not answers: the clarification channel is not comments',
      };
    const comment = commentSchema.safeParse(payload.comment);
    const issue = commentedIssueSchema.safeParse(payload.issue);
    if (!comment.success || !issue.success)
      throw new WebhookError(400, 'Jira comment_created payload lacks the comment or its issue');
    const author = comment.data.author?.accountId;
    if (!author) return { events: [], ignored: 'a comment without an author is not an answer' };
    if (author === (await this.#provider.accountId()))
      return { events: [], ignored: 'the factory wrote this comment' };
    const body = comment.data.body;
    const text = typeof body === 'string' ? body : isAdfDocument(body) ? adfToText(body) : '';
    return {
      events: [
        {
          type: 'clarification.replied',
          threadId: commentThreadId(issue.data.id),
          messageId: comment.data.id,
          text,
          author: await this.#author(comment.data.author ?? {}, author, issue.data),
        },
      ],
    };
  }

  /**
   * Trusted: a listed account, a member of the site (`accountType` from the payload, else
   * `GET /rest/api/3/user`), or the issue's reporter or assignee (from the payload when it carries both,
   * else `GET /rest/api/3/issue/:id?fields=reporter,assignee`). At most two API calls, only for people the
   * earlier checks did not settle.
   */
  async #author(
    who: z.infer<typeof commentSchema>['author'] & object,
    accountId: string,
    issue: z.infer<typeof commentedIssueSchema>,
  ): Promise<ReplyAuthor> {
    const name = who.displayName;
    if (listedAuthor(this.#trust, accountId))
      return replyAuthor(accountId, true, `${accountId} is listed in trustedAuthors.users`, name);
    const roles = this.#trust.roles;
    let accountType: string | undefined;
    if (roles.has('member')) {
      accountType = who.accountType ?? (await this.#provider.accountType(accountId));
      if (accountType === 'atlassian')
        return replyAuthor(accountId, true, 'a member of the site (accountType atlassian)', name);
    }
    if (roles.has('reporter') || roles.has('assignee')) {
      const fields = issue.fields;
      const people =
        fields && fields.reporter !== undefined && fields.assignee !== undefined
          ? {
              ...(fields.reporter?.accountId ? { reporter: fields.reporter.accountId } : {}),
              ...(fields.assignee?.accountId ? { assignee: fields.assignee.accountId } : {}),
            }
          : await this.#provider.reporterAndAssignee(issue.id);
      if (roles.has('reporter') && people.reporter === accountId)
        return replyAuthor(accountId, true, 'the reporter of the issue', name);
      if (roles.has('assignee') && people.assignee === accountId)
        return replyAuthor(accountId, true, 'the assignee of the issue', name);
    }
    const why = [
      ...(roles.has('member') ? [`accountType ${accountType ?? 'unknown'}, not atlassian`] : []),
      ...(roles.has('reporter') || roles.has('assignee')
        ? [`not the ${[...roles].filter((role) => role !== 'member').join(' or ')} of the issue`]
        : []),
    ];
    return replyAuthor(
      accountId,
      false,
      `${why.length > 0 ? why.join('; ') : 'no role is trusted'}; not in trustedAuthors.users`,
      name,
    );
  }
}

function describe(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`)
    .join('; ');
}
