import {
  hmacSha256Hex,
  type IncomingWebhook,
  parseJsonBody,
  timingSafeEqual,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
} from '@software-factory/sdk';
import { z } from 'zod';
import { adfToText, isAdfDocument } from './atlassian-document.ts';
import { commentThreadId } from './issue-comment-clarification-channel.ts';
import { jiraIssueSchema } from './jira-issue.ts';
import type { JiraWorkItemProvider } from './jira-work-item-provider.ts';

export interface JiraWebhookSourceOptions {
  /** The secret set on the admin webhook (Jira: System → WebHooks → Secret). */
  secret: string;
  provider: JiraWorkItemProvider;
  /** True when the tenant's clarification channel is `comments`: a person's comment answers a question. */
  commentReplies?: boolean;
}

const ISSUE_EVENTS = new Set(['jira:issue_created', 'jira:issue_updated']);

const envelopeSchema = z.object({
  webhookEvent: z.string().min(1),
  timestamp: z.number().optional(),
  issue: z.unknown().optional(),
  comment: z.unknown().optional(),
});

const commentSchema = z.object({
  id: z.string().min(1),
  body: z.unknown(),
  author: z
    .object({ accountId: z.string().min(1).optional(), displayName: z.string().optional() })
    .optional(),
});

const commentedIssueSchema = z.object({
  id: z.string().min(1),
  key: z.string().min(1),
  fields: z.object({ project: z.object({ key: z.string() }).optional() }).optional(),
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

  constructor(options: JiraWebhookSourceOptions) {
    if (!options.secret) throw new Error('invalid Jira webhook config: secret: a webhook secret is required');
    this.#secret = options.secret;
    this.#provider = options.provider;
    this.#commentReplies = options.commentReplies ?? false;
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

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const deliveryId = request.headers.get('x-atlassian-webhook-identifier') ?? undefined;
    const base = deliveryId ? { deliveryId } : {};
    const envelope = envelopeSchema.safeParse(parseJsonBody(request.body));
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
          author: comment.data.author?.displayName ?? author,
        },
      ],
    };
  }
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`)
    .join('; ');
}
