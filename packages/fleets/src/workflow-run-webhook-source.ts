import { verify } from '@octokit/webhooks-methods';
import type {
  AgentExitedEvent,
  DeliveryIdentity,
  IncomingWebhook,
  WebhookInterpretation,
  WebhookSource,
} from '@software-factory/sdk';
import { WebhookError } from '@software-factory/sdk';
import * as z from 'zod/mini';
import { runNameFor, workflowRunSchema } from './workflow-run.ts';

const RUN_NAME_PREFIX = runNameFor('');

const workflowRunPayloadSchema = z.object({
  action: z.string(),
  workflow_run: workflowRunSchema,
  repository: z.object({ full_name: z.string() }),
});

export type WorkflowRunExit = { event: AgentExitedEvent } | { ignored: string };

/**
 * Turns a `workflow_run` webhook payload into the `agent.exited` of the GithubActionsFleet agent it
 * ran, or says why it is not one. Exported so a GitHub source elsewhere can reuse it.
 */
export function workflowRunExit(payload: unknown): WorkflowRunExit {
  const parsed = workflowRunPayloadSchema.safeParse(payload);
  if (!parsed.success) throw new WebhookError(400, 'malformed workflow_run payload');
  const { action, workflow_run: run, repository } = parsed.data;
  if (action !== 'completed' || run.status !== 'completed') return { ignored: `workflow run ${action}` };
  const runName = run.display_title?.startsWith(RUN_NAME_PREFIX)
    ? run.display_title
    : run.name?.startsWith(RUN_NAME_PREFIX)
      ? run.name
      : undefined;
  if (!runName) return { ignored: 'not a factory agent run' };
  const succeeded = run.conclusion === 'success';
  return {
    event: {
      type: 'agent.exited',
      agentId: `${repository.full_name}:${runName}`,
      outcome: succeeded ? 'succeeded' : 'failed',
      exitCode: succeeded ? 0 : 1,
      ...(succeeded
        ? {}
        : {
            reason: `workflow run concluded ${run.conclusion ?? 'without a conclusion'}${run.html_url ? ` (${run.html_url})` : ''}`,
          }),
    },
  };
}

export interface WorkflowRunWebhookSourceOptions {
  /** The webhook's secret, as set in the repository or organisation webhook settings. */
  secret: string;
  /** The route segment; defaults to `github-actions` so it can sit beside a GitHub output source. */
  source?: string;
}

/**
 * GitHub `workflow_run` webhooks (`completed`) as `agent.exited` for GithubActionsFleet agents.
 * GitHub deliveries carry no timestamp; redeliveries keep `X-GitHub-Delivery`, which de-duplicates them.
 */
export class WorkflowRunWebhookSource implements WebhookSource {
  readonly source: string;
  readonly contentTypes = ['application/json'] as const;
  readonly #secret: string;

  constructor(options: WorkflowRunWebhookSourceOptions) {
    if (!options.secret) throw new Error('WorkflowRunWebhookSource: a webhook secret is required');
    this.#secret = options.secret;
    this.source = options.source ?? 'github-actions';
  }

  /** `X-Hub-Signature-256`, checked by `@octokit/webhooks-methods` (WebCrypto or node:crypto). */
  async verify(request: IncomingWebhook): Promise<void> {
    const signature = request.headers.get('x-hub-signature-256')?.trim().toLowerCase();
    if (!signature) throw new WebhookError(401, 'missing X-Hub-Signature-256');
    // The library throws on a malformed value or an empty body, and takes text: none of those can match.
    const body = /^sha256=[0-9a-f]{64}$/.test(signature) ? utf8(request.rawBody) : undefined;
    if (!body || !(await verify(this.#secret, body, signature)))
      throw new WebhookError(401, 'X-Hub-Signature-256 does not match');
  }

  /**
   * By the body: GitHub signs no timestamp, so a captured delivery could come back any time under a new
   * X-GitHub-Delivery (the header is not signed); a redelivery resends the same bytes.
   */
  identify(request: IncomingWebhook): DeliveryIdentity {
    const deliveryId = request.headers.get('x-github-delivery') ?? undefined;
    return { ...(deliveryId ? { deliveryId } : {}), recognisedBy: 'body' };
  }

  async interpret(request: IncomingWebhook): Promise<WebhookInterpretation> {
    const kind = request.headers.get('x-github-event');
    const deliveryId = request.headers.get('x-github-delivery') ?? undefined;
    const payload = request.json();
    if (kind === 'ping') return { events: [], ignored: 'ping' };
    if (kind !== 'workflow_run') return { events: [], ignored: `event ${kind ?? 'without a type'}` };
    const exit = workflowRunExit(payload);
    if ('ignored' in exit) return { events: [], ignored: exit.ignored };
    return { ...(deliveryId ? { deliveryId } : {}), events: [exit.event] };
  }
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
