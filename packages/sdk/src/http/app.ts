import type { Context } from 'hono';
import { Hono } from 'hono';
import { refusalReason, type TenantRegistry, type TenantRuntime } from '../ingress/tenants.ts';
import { type IncomingWebhook, WebhookError, type WebhookSource } from '../ingress/webhook-source.ts';
import { readBreaker } from '../pipeline/breaker.ts';
import type { HandleResult } from '../pipeline/result.ts';
import { type Clock, systemClock } from '../ports/clock.ts';
import { type Logger, silentLogger } from '../ports/logger.ts';
import type { StateStore } from '../ports/state-store.ts';
import { FactoryMetrics } from '../status/metrics.ts';
import { mountDashboard } from './dashboard.ts';
import { readBodyCapped } from './read-body.ts';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export interface FactoryAppOptions {
  tenants: TenantRegistry;
  store: StateStore;
  version: string;
  clock?: Clock;
  logger?: Logger;
  maxBodyBytes?: number;
  /** The runtime's way to finish work after the response (Workers' waitUntil); absent on Lambda. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** The counters the tenants' factories feed (pass the same instance to `createFactory`). */
  metrics?: FactoryMetrics;
}

/**
 * The factory's one HTTP app (`Request` → `Response`). Every runtime mounts it unchanged: Node's
 * server, a Lambda handler, a Worker's fetch.
 */
export function createFactoryApp(options: FactoryAppOptions): Hono {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const app = new Hono();

  app.get('/healthz', async (c) => {
    let store: { ok: boolean; error?: string } = { ok: true };
    try {
      await options.store.ping();
    } catch (error) {
      store = { ok: false, error: message(error) };
    }
    const tenants = [];
    for (const id of await options.tenants.list()) {
      const tenant = await options.tenants.get(id);
      if (!tenant) continue;
      const reports = await tenant.connections();
      const refusal = refusalReason(reports);
      const breaker = (await readBreaker(tenant.factory.ports.store, id).catch(() => undefined))?.value;
      tenants.push({
        id,
        processing: !refusal,
        ...(refusal ? { refusal } : {}),
        ...(breaker && breaker.state !== 'closed'
          ? { fleet: { circuit: breaker.state, retryAt: new Date(breaker.retryAt ?? 0).toISOString() } }
          : {}),
        connections: reports.map((report) => ({
          provider: report.provider,
          role: report.role,
          state: report.status.state,
        })),
      });
    }
    const ok = store.ok && tenants.every((tenant) => tenant.processing);
    return c.json(
      { status: ok ? 'ok' : 'degraded', version: options.version, store, tenants },
      ok ? 200 : 503,
    );
  });

  app.post('/t/:tenant/webhooks/:source', async (c) => {
    const tenantId = c.req.param('tenant');
    const tenant = TENANT_ID.test(tenantId) ? await options.tenants.get(tenantId) : undefined;
    if (!tenant) return c.json({ error: 'unknown tenant' }, 404);
    const source = tenant.sources.get(c.req.param('source'));
    if (!source)
      return c.json(
        { error: `no webhook source "${c.req.param('source')}" is configured for this tenant` },
        404,
      );

    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!source.contentTypes.includes(mediaType)) {
      return c.json(
        {
          error: `unsupported content type "${mediaType || 'none'}"; expected ${source.contentTypes.join(' or ')}`,
        },
        415,
      );
    }
    const rawBody = await readBodyCapped(c.req.raw, maxBodyBytes);
    if (rawBody === 'too-large') return c.json({ error: `body larger than ${maxBodyBytes} bytes` }, 413);
    let body: string;
    try {
      body = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(rawBody);
    } catch {
      return c.json({ error: 'body is not valid UTF-8' }, 400);
    }
    const webhook: IncomingWebhook = { headers: c.req.raw.headers, rawBody, body, receivedAt: clock.now() };
    try {
      await source.verify(webhook);
      const interpretation = await source.interpret(webhook);
      // Protocol handshakes (URL verification, ping) are answered even before every provider is
      // connected: setting up the sender's webhook must not wait for the tokens.
      if (interpretation.reply) {
        const { status, contentType, body: replyBody } = interpretation.reply;
        return c.body(replyBody, status as 200, { 'content-type': contentType });
      }
      const refusal = refusalReason(await tenant.connections());
      if (refusal) return c.json({ error: `not processing work: ${refusal}` }, 503);
      if (interpretation.ignored !== undefined || interpretation.events.length === 0) {
        return c.json({ status: 'ignored', reason: interpretation.ignored ?? 'no events' }, 202);
      }
      return await deliver(c, tenant, source, interpretation.deliveryId, interpretation.events);
    } catch (error) {
      if (error instanceof WebhookError) {
        logger.warn('webhook rejected', {
          tenant: tenant.id,
          source: source.source,
          status: error.status,
          reason: error.message,
        });
        return c.json({ error: error.message }, error.status);
      }
      logger.error('webhook failed', { tenant: tenant.id, source: source.source, error: message(error) });
      return c.json({ error: 'internal error; the sender should retry' }, 500);
    }
  });

  app.all('/t/:tenant/webhooks/:source', (c) =>
    c.json({ error: 'method not allowed; webhooks are POST' }, 405),
  );
  mountDashboard(app, options.tenants, options.metrics ?? new FactoryMetrics());
  app.notFound((c) => c.json({ error: 'not found' }, 404));

  async function deliver(
    c: Context,
    tenant: TenantRuntime,
    source: WebhookSource,
    deliveryId: string | undefined,
    events: IncomingWebhookEvents,
  ): Promise<Response> {
    const store = options.store;
    const key = deliveryId ? `${source.source}:${deliveryId}` : undefined;
    const now = clock.now();
    if (
      key &&
      !(await store.rememberEvent(tenant.id, key, {
        now,
        expiresAt: now + tenant.factory.settings.deliveryMemory,
      }))
    ) {
      return c.json({ status: 'duplicate', deliveryId }, 200);
    }
    const work = (async () => {
      const results: HandleResult[] = [];
      for (const event of events) results.push(await tenant.factory.handle(event));
      return results;
    })();
    const failed = async (reason: string) => {
      if (key) await store.forgetEvent(tenant.id, key).catch(() => {});
      return reason;
    };
    if (source.answerWithinMs !== undefined && options.waitUntil) {
      const settled = work.then(
        (results) => results,
        (error: unknown) => error,
      );
      options.waitUntil(
        settled.then((outcome) => (Array.isArray(outcome) ? undefined : failed(message(outcome)))),
      );
      const early = await Promise.race([settled, sleep(source.answerWithinMs).then(() => 'late' as const)]);
      if (early === 'late') return c.json({ status: 'accepted' }, 200);
      if (!Array.isArray(early)) return c.json({ error: 'internal error; the sender should retry' }, 500);
      return answer(c, early, failed);
    }
    try {
      return await answer(c, await work, failed);
    } catch (error) {
      await failed(message(error));
      logger.error('event handling failed', {
        tenant: tenant.id,
        source: source.source,
        error: message(error),
      });
      return c.json({ error: 'internal error; the sender should retry' }, 500);
    }
  }

  return app;
}

type IncomingWebhookEvents = Awaited<ReturnType<WebhookSource['interpret']>>['events'];

async function answer(
  c: Context,
  results: HandleResult[],
  failed: (reason: string) => Promise<string>,
): Promise<Response> {
  const summary = results.map((result) => ({
    event: result.event,
    outcome: result.outcome,
    reason: result.reason,
    ...(result.workItemId ? { workItemId: result.workItemId } : {}),
  }));
  const incomplete = results.find((result) => result.outcome === 'incomplete');
  if (incomplete) {
    // State is saved; a retry (or the next tick) finishes the side effects that failed.
    await failed(incomplete.error ?? 'incomplete');
    return c.json({ status: 'incomplete', results: summary }, 503, { 'retry-after': '30' });
  }
  return c.json({ status: 'processed', results: summary }, 200);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
