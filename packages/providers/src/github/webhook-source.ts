import { type IncomingWebhook, WebhookError, type WebhookInterpretation } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { isFilledText, isObject, readQuickly } from '../shared/quick-check.ts';
import { GithubSignedWebhookSource, githubEventOf, githubPong } from './delivery.ts';
import type { GithubFeedback } from './feedback-events.ts';
import { headInRepository, isPullRequest, pullRequestSchema, toOutputSnapshot } from './pull-request.ts';
import type { WebhookSecretSource } from './signature.ts';

export interface GithubWebhookSourceOptions {
  /** The webhook's secret, as set in the repository, organisation or app settings; a function when it is read per delivery (the App `factory connect github --app` stored). */
  secret: WebhookSecretSource;
  /** Review feedback (reviews, comments, checks, pushes) as `output.feedback`; without it those events are ignored. */
  feedback?: GithubFeedback;
}

/** Actions that change what a pull request is: open, draft or ready, merged or closed, new content. */
const OUTPUT_ACTIONS = new Set([
  'opened',
  'reopened',
  'ready_for_review',
  'converted_to_draft',
  'synchronize',
  'edited',
  'closed',
]);

/** A `pull_request` delivery's fields the source reads; exported with its quick reader for their test. */
export const payloadSchema = z.object({
  action: z.string().check(z.minLength(1)),
  pull_request: pullRequestSchema,
  repository: z.object({ full_name: z.string().check(z.minLength(1)) }),
});
type Payload = z.infer<typeof payloadSchema>;

/** `payloadSchema`'s verdict on a well-formed delivery, without its machinery. */
export function quickPayload(body: unknown): Payload | undefined {
  if (!isObject(body)) return undefined;
  const { action, pull_request, repository } = body;
  return isFilledText(action) &&
    isPullRequest(pull_request) &&
    isObject(repository) &&
    isFilledText(repository.full_name)
    ? (body as Payload)
    : undefined;
}

/**
 * GitHub webhooks: `pull_request` becomes `output.changed`. GitHub signs no timestamp, so replays are
 * stopped by the delivery id (`X-GitHub-Delivery`, the same on redelivery) the app remembers.
 */
export class GithubWebhookSource extends GithubSignedWebhookSource {
  readonly source = 'github';
  readonly #feedback: GithubFeedback | undefined;

  constructor(options: GithubWebhookSourceOptions) {
    super(options.secret, 'GitHub webhook');
    this.#feedback = options.feedback;
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const { event, base } = githubEventOf(request);
    const body = request.json();
    if (event === 'ping') return githubPong(base);
    // Review feedback (issue 25): reviews, comments and checks, read in feedback-events.ts.
    if (this.#feedback?.handles(event)) return { ...base, ...(await this.#feedback.interpret(event, body)) };
    if (event !== 'pull_request')
      return { ...base, events: [], ignored: `GitHub ${event} events are not handled` };
    const parsed = readQuickly(payloadSchema, quickPayload, body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.map(String).join('.')}: ${issue.message}`,
      );
      throw new WebhookError(400, `pull_request payload is incomplete: ${problems.join('; ')}`);
    }
    const { action, pull_request: pull, repository } = parsed.data;
    if (!OUTPUT_ACTIONS.has(action))
      return { ...base, events: [], ignored: `pull_request action "${action}" does not change the output` };
    if (!headInRepository(pull, repository.full_name))
      return {
        ...base,
        events: [],
        ignored: `pull request #${pull.number} comes from a branch outside ${repository.full_name} (a fork): never an agent's output`,
      };
    const output = toOutputSnapshot(pull, repository.full_name);
    // Review feedback (issue 25): a person's push to the branch stops further rounds.
    const pushed = action === 'synchronize' ? this.#feedback?.pushed(body, output).event : undefined;
    return { ...base, events: [{ type: 'output.changed', output }, ...(pushed ? [pushed] : [])] };
  }
}
