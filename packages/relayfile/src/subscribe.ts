import type {
  QueuedResponse,
  RelayFileClient,
  WebhookDeliveryDeadLetterItem,
  WebhookSubscription,
} from '@relayfile/sdk';
import { type MountEventSource, pathGlobsOf } from './mount-event-source.ts';
import { pathGlobProblem } from './path-glob.ts';

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
  const url = validUrl(options.url);
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
  const registered = await options.client.registerWebhook({
    workspaceId: options.workspaceId,
    url,
    pathGlobs,
    secret: options.secret,
  });
  for (const stale of existing) await options.client.deleteWebhook(options.workspaceId, stale.id);
  return {
    subscriptionId: registered.subscriptionId,
    created: true,
    pathGlobs,
    replaced: existing.map((stale) => stale.id),
  };
}

export async function listWebhooks(target: SubscribeTarget): Promise<WebhookSubscription[]> {
  const answer: unknown = await target.client.listWebhooks(target.workspaceId);
  // The route answers a bare array; tolerate an `{ items }` envelope too.
  if (Array.isArray(answer)) return answer as WebhookSubscription[];
  const items = (answer as { items?: unknown } | undefined)?.items;
  return Array.isArray(items) ? (items as WebhookSubscription[]) : [];
}

export async function deleteWebhook(target: SubscribeTarget, subscriptionId: string): Promise<void> {
  if (!subscriptionId) throw new Error('a subscription id is required');
  await target.client.deleteWebhook(target.workspaceId, subscriptionId);
}

/** Every delivery relayfile gave up on, all pages. */
export async function listDeadLetters(target: SubscribeTarget): Promise<WebhookDeliveryDeadLetterItem[]> {
  const items: WebhookDeliveryDeadLetterItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await target.client.getWebhookDeadLetters(target.workspaceId, {
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
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
  for (const id of ids) queued.push(await target.client.replayWebhookDeadLetter(target.workspaceId, id));
  return queued;
}

function sameGlobs(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort();
  return left.length === b.length && left.every((glob, index) => glob === b[index]);
}

function validUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`"${value}" is not an http(s) URL`);
  if (url.search) throw new Error('the webhook URL must not carry a query string (it would be logged)');
  return url.toString();
}
