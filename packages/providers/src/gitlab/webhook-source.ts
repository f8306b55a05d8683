import {
  type DeliveryIdentity,
  type IncomingWebhook,
  timingSafeEqual,
  WebhookError,
  type WebhookInterpretation,
  type WebhookSource,
} from '@software-factory/sdk';
import * as z from 'zod/mini';
import type { GitlabFeedback } from './feedback-events.ts';
import { mergeRequestSchema, sourceInTargetProject, toGitlabOutput } from './merge-request.ts';

export interface GitlabWebhookSourceOptions {
  /** The webhook's secret token (GitLab sends it back verbatim in `X-Gitlab-Token`). */
  secret: string;
  /** Review feedback (failed pipelines, notes, pushes) as `output.feedback`; without it those events are ignored. */
  feedback?: GitlabFeedback;
}

/** Actions that change what a merge request is: opened, new commits or draft flag, merged, closed. */
const OUTPUT_ACTIONS = new Set(['open', 'reopen', 'update', 'close', 'merge']);

const payloadSchema = z.object({
  object_kind: z.literal('merge_request'),
  project: z.object({ path_with_namespace: z.string().check(z.minLength(1)) }),
  object_attributes: z.extend(mergeRequestSchema, { action: z.optional(z.string()) }),
});

/**
 * GitLab merge request webhooks become `output.changed`. GitLab does not sign: it sends the shared
 * secret in `X-Gitlab-Token`, compared here in constant time, and no timestamp; a retry carries the same
 * `Idempotency-Key` (GitLab 17.4+; `X-Gitlab-Event-UUID` before), which the app remembers.
 */
export class GitlabWebhookSource implements WebhookSource {
  readonly source = 'gitlab';
  readonly contentTypes = ['application/json'] as const;
  readonly #secret: string;
  readonly #feedback: GitlabFeedback | undefined;

  constructor(options: GitlabWebhookSourceOptions) {
    if (!options.secret) throw new Error('invalid GitLab webhook config: secret: a secret token is required');
    this.#secret = options.secret;
    this.#feedback = options.feedback;
  }

  async verify(request: IncomingWebhook): Promise<void> {
    const token = request.headers.get('x-gitlab-token');
    if (token === null || token === '')
      throw new WebhookError(
        401,
        'missing X-Gitlab-Token header (is a secret token set on the GitLab webhook?)',
      );
    if (!timingSafeEqual(token, this.#secret)) throw new WebhookError(401, 'X-Gitlab-Token does not match');
  }

  /**
   * By the body: GitLab signs nothing (the token is the same on every delivery) and sends no timestamp,
   * so a captured delivery could come back under a new Idempotency-Key; a retry resends the same bytes.
   */
  identify(request: IncomingWebhook): DeliveryIdentity {
    const deliveryId = gitlabDeliveryId(request);
    return { ...(deliveryId ? { deliveryId } : {}), recognisedBy: 'body' };
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const event = request.headers.get('x-gitlab-event');
    if (!event) throw new WebhookError(400, 'missing X-Gitlab-Event header');
    const deliveryId = gitlabDeliveryId(request);
    const base = deliveryId ? { deliveryId } : {};
    const body = request.json();
    // Review feedback (issue 25): failed pipelines and notes, read in feedback-events.ts.
    if (this.#feedback?.handles(event)) return { ...base, ...this.#feedback.interpret(event, body) };
    if (event !== 'Merge Request Hook')
      return { ...base, events: [], ignored: `GitLab ${event} events are not handled` };
    const parsed = payloadSchema.safeParse(body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`,
      );
      throw new WebhookError(400, `merge request payload is incomplete: ${problems.join('; ')}`);
    }
    const { object_attributes: mergeRequest, project } = parsed.data;
    const action = mergeRequest.action ?? 'update';
    if (!OUTPUT_ACTIONS.has(action))
      return { ...base, events: [], ignored: `merge request action "${action}" does not change the output` };
    if (!sourceInTargetProject(mergeRequest))
      return {
        ...base,
        events: [],
        ignored: `merge request !${mergeRequest.iid} comes from another project (a fork): never an agent's output`,
      };
    const output = toGitlabOutput(mergeRequest, project.path_with_namespace);
    // Review feedback (issue 25): a person's push to the branch stops further rounds.
    const pushed = action === 'update' ? this.#feedback?.pushed(body, output).event : undefined;
    return { ...base, events: [{ type: 'output.changed', output }, ...(pushed ? [pushed] : [])] };
  }
}

/** `Idempotency-Key` (GitLab 17.4+), else `X-Gitlab-Event-UUID`: the same on every retry of a delivery. */
function gitlabDeliveryId(request: IncomingWebhook): string | undefined {
  return request.headers.get('idempotency-key') || request.headers.get('x-gitlab-event-uuid') || undefined;
}
