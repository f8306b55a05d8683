import {
  type QueuedResponse,
  RelayFileApiError,
  type RelayFileClient,
  type WebhookDeliveryDeadLetterItem,
  type WebhookSubscription,
} from '@relayfile/sdk';
import { type MountEventSource, pathGlobsOf } from './mount-event-source.ts';
import { pathGlobProblem } from './path-glob.ts';
import { webhookUrlProblem } from './webhook-url.ts';

export interface SubscribeTarget {
  client: RelayFileClient;
  workspaceId: string;
}

export interface EnsureWebhookOptions extends SubscribeTarget {
  /** The factory's `.../t/<tenant>/webhooks/relayfile` URL. */
  url: string;
  /** The secret relayfile signs with; the webhook source must be given the same one. Never logged. */
  secret: string;
  /** The providers whose paths are subscribed (or the globs themselves). */
  sources?: readonly MountEventSource[];
  pathGlobs?: readonly string[];
  /**
   * Registers an http, loopback or private-network URL too. relayfile's cloud refuses those
   * (`400 invalid_webhook_url`), so only for a relayfile you run yourself that accepts them, e.g. in tests.
   */
  allowInsecureUrl?: boolean;
}

/**
 * relayfile has no outbound webhooks here: the open-source self-hosted server (AgentWorkforce/relayfile,
 * internal/httpapi/server.go) routes no `/v1/workspaces/:id/webhooks` and answers `404 route not found`,
 * and pushes changes only over its WebSocket (`fs/ws`). The relay worker (`factory relay`) is the way.
 */
export class OutboundWebhooksUnavailableError extends Error {
  override readonly name = 'OutboundWebhooksUnavailableError';
  /** What relayfile answered, e.g. `404 "route not found"`. */
  readonly answer: string;
  constructor(answer: string) {
    super(
      `this relayfile server has no outbound webhooks (it answered ${answer} on its webhooks route); the self-hosted relayfile pushes changes only over its WebSocket`,
    );
    this.answer = answer;
  }
}

export interface EnsuredWebhook {
  subscriptionId: string;
  /** False when an identical registration already existed and was kept. */
  created: boolean;
  pathGlobs: string[];
  /** Older registrations of the same URL with other globs, deleted after the new one was made. */
  replaced: string[];
}

/**
 * Registers the factory's webhook for the paths the configured providers own. Idempotent: an existing
 * registration with the same URL and globs is kept. One with the same URL and other globs is replaced
 * (the new one is registered first, so no change goes undelivered in between).
 */
export async function ensureWebhook(options: EnsureWebhookOptions): Promise<EnsuredWebhook> {
  const url = validUrl(options.url, options.allowInsecureUrl ?? false);
  if (!options.secret) throw new Error('a webhook secret is required');
  const pathGlobs = [
    ...new Set([...(options.pathGlobs ?? []), ...pathGlobsOf(options.sources ?? [])]),
  ].sort();
  if (pathGlobs.length === 0) throw new Error('no path globs: configure at least one provider');
  for (const glob of pathGlobs) {
    const problem = pathGlobProblem(glob);
    if (problem) throw new Error(problem);
  }
  const existing = (await listWebhooks(options)).filter((subscription) => subscription.url === url);
  const same = existing.find((subscription) => sameGlobs(subscription.pathGlobs, pathGlobs));
  if (same) return { subscriptionId: same.id, created: false, pathGlobs, replaced: [] };
  const registered = await webhookRoute(
    () =>
      options.client.registerWebhook({
        workspaceId: options.workspaceId,
        url,
        pathGlobs,
        secret: options.secret,
      }),
    'collection',
  );
  for (const stale of existing)
    await webhookRoute(() => options.client.deleteWebhook(options.workspaceId, stale.id), 'item');
  return {
    subscriptionId: registered.subscriptionId,
    created: true,
    pathGlobs,
    replaced: existing.map((stale) => stale.id),
  };
}

export async function listWebhooks(target: SubscribeTarget): Promise<WebhookSubscription[]> {
  const answer: unknown = await webhookRoute(
    () => target.client.listWebhooks(target.workspaceId),
    'collection',
  );
  // The route answers a bare array; tolerate an `{ items }` envelope too.
  if (Array.isArray(answer)) return answer as WebhookSubscription[];
  const items = (answer as { items?: unknown } | undefined)?.items;
  return Array.isArray(items) ? (items as WebhookSubscription[]) : [];
}

export async function deleteWebhook(target: SubscribeTarget, subscriptionId: string): Promise<void> {
  if (!subscriptionId) throw new Error('a subscription id is required');
  await webhookRoute(() => target.client.deleteWebhook(target.workspaceId, subscriptionId), 'item');
}

/** Every delivery relayfile gave up on, all pages. */
export async function listDeadLetters(target: SubscribeTarget): Promise<WebhookDeliveryDeadLetterItem[]> {
  const items: WebhookDeliveryDeadLetterItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await webhookRoute(
      () =>
        target.client.getWebhookDeadLetters(target.workspaceId, {
          limit: 100,
          ...(cursor ? { cursor } : {}),
        }),
      'collection',
    );
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/** Queues dead-lettered deliveries again: the named ones, or all that are still dead-lettered. */
export async function replayDeadLetters(
  target: SubscribeTarget,
  deliveryIds?: readonly string[],
): Promise<QueuedResponse[]> {
  const ids =
    deliveryIds ??
    (await listDeadLetters(target))
      .filter((item) => item.status === 'dead_lettered')
      .map((item) => item.deliveryId);
  const queued: QueuedResponse[] = [];
  for (const id of ids)
    queued.push(
      await webhookRoute(() => target.client.replayWebhookDeadLetter(target.workspaceId, id), 'item'),
    );
  return queued;
}

/**
 * Calls one of relayfile's webhook routes, telling "this server has no such route" apart from an answer
 * about the subscription: a 404 on a collection (list, register, dead letters) means the route is not
 * there, and so does relayfile's own `route not found` anywhere; a 404 about one id stays a 404.
 */
async function webhookRoute<T>(request: () => Promise<T>, kind: 'collection' | 'item'): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof RelayFileApiError && error.status === 404) {
      const routeMissing = /route not found|no route/i.test(error.message);
      if (kind === 'collection' || routeMissing)
        throw new OutboundWebhooksUnavailableError(
          error.message.startsWith('RelayFile API error') ? '404' : `404 "${error.message}"`,
        );
    }
    throw error;
  }
}

function sameGlobs(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort();
  return left.length === b.length && left.every((glob, index) => glob === b[index]);
}

function validUrl(value: string, allowInsecure: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`"${value}" is not an http(s) URL`);
  if (url.search) throw new Error('the webhook URL must not carry a query string (it would be logged)');
  const problem = allowInsecure ? undefined : webhookUrlProblem(url);
  if (problem) throw new Error(`relayfile would refuse to deliver to "${value}": ${problem}`);
  return url.toString();
}
