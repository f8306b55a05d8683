import {
  type DeliveryReceipt,
  type TrustedAuthorsConfig,
  WebhookError,
  type WebhookInterpretation,
  type WorkItem,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import { jsonObject } from '../shared/json-object.ts';
import { isObject } from '../shared/quick-check.ts';
import { SESSION_ID, SESSION_STOPPED, SESSION_URL, sessionOf } from './agent-sessions.ts';
import type { LinearAgentWorkItemProvider } from './agent-work-item-provider.ts';
import { LinearAuthorTrust } from './author-trust.ts';

export interface LinearAgentSessionEventsOptions {
  provider: LinearAgentWorkItemProvider;
  /**
   * Set when the clarification channel is the session itself (`clarificationChannel: linear-agent`):
   * a person's prompt in a session the factory asked in becomes its answer, from trusted authors only.
   */
  replies?: { trustedAuthors?: TrustedAuthorsConfig };
}

const filled = z.string().check(z.minLength(1));

/**
 * The fields of an `AgentSessionEvent` the factory reads, as Linear's schema names them
 * (`AgentSessionEventWebhookPayload`, https://linear.app/developers/agent-interaction). Linear's guide
 * reads a prompt's text from `agentActivity.body`; the schema puts it in `agentActivity.content.body`:
 * either is taken.
 */
export const agentSessionEventSchema = z.object({
  type: z.literal('AgentSessionEvent'),
  action: filled,
  createdAt: filled,
  organizationId: filled,
  appUserId: filled,
  agentSession: z.object({
    id: filled,
    issueId: z.nullish(z.string()),
    issue: z.nullish(z.object({ id: filled, identifier: z.optional(z.string()) })),
    url: z.nullish(z.string()),
  }),
  agentActivity: z.nullish(
    z.object({
      id: filled,
      createdAt: z.nullish(z.string()),
      signal: z.nullish(z.string()),
      userId: z.nullish(z.string()),
      user: z.nullish(z.object({ id: z.optional(z.string()), name: z.optional(z.string()) })),
      content: z.nullish(jsonObject),
      body: z.nullish(z.string()),
    }),
  ),
});
type AgentSessionEvent = z.infer<typeof agentSessionEventSchema>;

/**
 * Linear's agent session webhooks, in agent mode: `created` (a person delegated an issue to the app or
 * mentioned it) makes the issue ready, as the item's `work-item.changed`; `prompted` with the `stop`
 * signal takes it out again (the same event, the item stopped); any other prompt is a reply in the
 * session, an answer when the session is the clarification channel. Every event must come from the
 * workspace and the app user the tenant's token belongs to.
 */
export class LinearAgentSessionEvents {
  readonly #provider: LinearAgentWorkItemProvider;
  readonly #trust: LinearAuthorTrust | undefined;

  constructor(options: LinearAgentSessionEventsOptions) {
    this.#provider = options.provider;
    this.#trust = options.replies
      ? new LinearAuthorTrust(
          options.provider.client,
          options.replies.trustedAuthors,
          'Linear agent session replies',
        )
      : undefined;
  }

  async interpret(body: unknown): Promise<Omit<WebhookInterpretation, 'deliveryId'>> {
    const parsed = agentSessionEventSchema.safeParse(body);
    if (!parsed.success)
      throw new WebhookError(
        400,
        `Linear AgentSessionEvent payload is incomplete: ${parsed.error.issues
          .map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`)
          .join('; ')}`,
      );
    const event = parsed.data;
    await this.#checkOwner(event);
    const issueId = event.agentSession.issueId ?? event.agentSession.issue?.id;
    if (!issueId) return { events: [], ignored: 'an agent session without an issue is no work item' };
    if (event.action === 'created') return this.#changed(event, issueId, false);
    if (event.action !== 'prompted')
      return { events: [], ignored: `Linear AgentSessionEvent action "${event.action}" is not handled` };
    const activity = event.agentActivity;
    if (!activity) throw new WebhookError(400, 'a prompted AgentSessionEvent carries no agentActivity');
    if (activity.signal === 'stop') return this.#changed(event, issueId, true);
    return this.#reply(event, issueId);
  }

  /**
   * In agent mode only an Issue change that takes the issue out of the app's hands counts: it was
   * deleted, canceled, or delegated to someone else. Anything else (the factory's own moves included) is
   * the session's business.
   */
  async leaving(
    item: WorkItem,
    data: Record<string, unknown>,
    updatedFrom: unknown,
    removed: boolean,
  ): Promise<WorkItem | undefined> {
    const canceled = item.metadata.linearStateType === 'canceled';
    const wasDelegate =
      isObject(updatedFrom) && 'delegateId' in updatedFrom ? updatedFrom.delegateId : undefined;
    let undelegated = false;
    if (typeof wasDelegate === 'string') {
      const { appUserId } = await this.#provider.sessions.identity();
      undelegated = wasDelegate === appUserId && data.delegateId !== appUserId;
    }
    if (!removed && !canceled && !undelegated) return undefined;
    return stopped(item, item.updatedAt);
  }

  /**
   * The first sign of life Linear wants within seconds of a new session: a `thought`, and the item's
   * dashboard page as the session's link; or, for an issue the factory will not take, a polite
   * `response` saying why (the core then ignores the item). A stop is acknowledged with a `thought`; the
   * confirmation follows once the agent is released.
   */
  async acknowledge(interpretation: WebhookInterpretation, receipt: DeliveryReceipt): Promise<void> {
    const sessions = this.#provider.sessions;
    for (const event of interpretation.events) {
      if (event.type !== 'work-item.changed') continue;
      const { item } = event;
      const session = sessionOf(item.metadata);
      if (!session) continue;
      if (item.metadata[SESSION_STOPPED] === true) {
        await sessions.post(
          session,
          { type: 'thought', body: `Stopping the work on ${item.key}, as asked.` },
          `${session}/stop/${item.updatedAt}`,
        );
        continue;
      }
      const refusal = receipt.refusal(item);
      if (refusal) {
        await sessions.post(
          session,
          {
            type: 'response',
            body: `Thanks for thinking of me, but I can't take ${item.key}: ${refusal}. Nothing was started. The factory's admins decide which issues it may work on.`,
          },
          `${session}/refused`,
        );
        continue;
      }
      await sessions.post(
        session,
        {
          type: 'thought',
          body: `Received ${item.key}. Reading it to decide whether it is clear enough to start.`,
        },
        `${session}/received`,
      );
      const url = receipt.dashboardUrl(item.id);
      if (url) await sessions.linkDashboard(session, url);
    }
  }

  /** Events for another workspace or another app user are refused: this tenant cannot act on them. */
  async #checkOwner(event: AgentSessionEvent): Promise<void> {
    const identity = await this.#provider.sessions.identity();
    if (event.organizationId !== identity.organizationId)
      throw new WebhookError(
        422,
        `the agent session belongs to Linear workspace ${event.organizationId}, not to the one this tenant is connected to`,
      );
    if (event.appUserId !== identity.appUserId)
      throw new WebhookError(
        422,
        `the agent session belongs to app user ${event.appUserId}, not to this tenant's Linear app`,
      );
  }

  async #changed(
    event: AgentSessionEvent,
    issueId: string,
    stop: boolean,
  ): Promise<Omit<WebhookInterpretation, 'deliveryId'>> {
    const issue = await this.#provider.getWorkItem(issueId);
    if (!issue) return { events: [], ignored: `Linear has no issue ${issueId} (deleted since?)` };
    const at = event.agentActivity?.createdAt ?? event.createdAt;
    const session = event.agentSession;
    let item: WorkItem = {
      ...issue,
      // The session is a change of the item: it orders after the issue's own last edit.
      updatedAt: later(issue.updatedAt, at),
      metadata: {
        ...issue.metadata,
        [SESSION_ID]: session.id,
        ...(session.url ? { [SESSION_URL]: session.url } : {}),
      },
    };
    if (stop) item = stopped(item, item.updatedAt);
    return { events: [{ type: 'work-item.changed', item }] };
  }

  async #reply(
    event: AgentSessionEvent,
    issueId: string,
  ): Promise<Omit<WebhookInterpretation, 'deliveryId'>> {
    if (!this.#trust)
      return {
        events: [],
        ignored: 'the clarification channel is not the agent session (clarificationChannel: linear-agent)',
      };
    const activity = event.agentActivity as NonNullable<AgentSessionEvent['agentActivity']>;
    const content = activity.content?.body;
    const text = typeof content === 'string' ? content : (activity.body ?? '');
    if (!text.trim()) return { events: [], ignored: 'the prompt has no text' };
    const author = activity.userId ?? activity.user?.id;
    if (!author) return { events: [], ignored: 'a prompt by no user is no answer' };
    if (author === event.appUserId) return { events: [], ignored: 'the factory wrote this' };
    return {
      events: [
        {
          type: 'clarification.replied',
          threadId: event.agentSession.id,
          messageId: activity.id,
          text,
          author: await this.#trust.author(author, issueId, activity.user?.name),
        },
      ],
    };
  }
}

/** The item as the factory sees it once a person stopped it: cancelled, not ready, as of `at`. */
function stopped(item: WorkItem, at: string): WorkItem {
  return {
    ...item,
    state: 'cancelled',
    updatedAt: at,
    metadata: { ...item.metadata, [SESSION_STOPPED]: true },
  };
}

function later(a: string, b: string): string {
  return Date.parse(b) > Date.parse(a) ? b : a;
}
