import type { Context, Hono } from 'hono';
import { HonoBase } from 'hono/hono-base';
import { HTTPException } from 'hono/http-exception';
import { PatternRouter } from 'hono/router/pattern-router';
import { errorMessage } from '../error-message.ts';
import { sha256Hex } from '../ingress/hmac.ts';
import { isTenantId, MIN_ADMIN_TOKEN_LENGTH } from '../ingress/tenants.ts';
import { describeUnconnected, unconnectedProviders } from '../ingress/unconnected-providers.ts';
import type { HandleResult } from '../pipeline/result.ts';
import { type Clock, systemClock } from '../ports/clock.ts';
import { type Logger, silentLogger } from '../ports/logger.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { TenantRegistry, TenantRuntime } from '../ports/tenant-runtime.ts';
import {
  type DeliveryIdentity,
  type IncomingWebhook,
  incomingWebhook,
  recognition,
  WebhookError,
  type WebhookSource,
} from '../ports/webhook-source.ts';
import { FactoryMetrics } from '../status/metrics.ts';
import { checkTraceUrl } from '../trace-url.ts';
import { acknowledgeReceipt } from './acknowledge-receipt.ts';
import { type AdminApiOptions, mountAdminApi } from './admin-api.ts';
import { AdminThrottle, type AdminThrottleOptions } from './admin-throttle.ts';
import { bodyAnswer, jsonAnswer, withSecurityHeaders } from './answers.ts';
import { renewWhileHandled } from './claim-renewal.ts';
import { TrustedProxies } from './client-address.ts';
import { mountConnectRoutes } from './connect-routes.ts';
import { mountDashboard } from './dashboard.ts';
import type { DashboardAssets } from './dashboard-asset-source.ts';
import { inlineDashboardAssets } from './dashboard-assets.ts';
import { deliverySpanOf, deliveryUntraced, inDeliverySpan, noteOutcome } from './delivery-span.ts';
import { mountDeploymentMetrics } from './deployment-metrics.ts';
import { mountHealth } from './health.ts';
import { HttpSecurity } from './http-security.ts';
import { mediaTypeOf, readBodyCapped, utf8Text } from './read-body.ts';
import { SessionCookies } from './sessions.ts';
import { webhookPathOf } from './webhook-path.ts';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** What a sender is told to wait before retrying when a dependency (a vendor API, the store) is down. */
const DEPENDENCY_RETRY_AFTER_S = 30;

export interface FactoryAppOptions {
  tenants: TenantRegistry;
  store: StateStore;
  version: string;
  clock?: Clock;
  logger?: Logger;
  maxBodyBytes?: number;
  /**
   * True when the runtime frames every request body by its `Content-Length` (Node's HTTP parser,
   * workerd): a body declared within the cap is then read whole, the fastest way the runtime has. Left
   * out, a body is always counted as it streams in, so a caller that hands the app a stream longer than
   * it declares (an adapter, a test) still costs no more than the cap.
   */
  framedBodies?: boolean;
  /** The runtime's way to finish work after the response (Workers' waitUntil); absent on Lambda. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** The counters the tenants' factories feed (pass the same instance to `createFactory`). */
  metrics?: FactoryMetrics;
  /**
   * The address of the peer that sent the request, as the runtime sees it: Node's socket
   * (`getConnInfo`), the Lambda event's source IP, Cloudflare's `CF-Connecting-IP`. Failed admin tokens
   * are throttled per address; without it every client shares one address bucket.
   */
  clientAddress?: (c: Context) => string | undefined;
  /**
   * IPs and CIDR ranges of the reverse proxies in front of the app. Only a peer in this list is believed
   * about `X-Forwarded-For` (the client's address) and `X-Forwarded-Proto` (https, for Secure cookies).
   */
  trustedProxies?: readonly string[];
  /**
   * Where clients reach the app, e.g. `https://factory.example.com`: an https URL makes the session
   * cookie `Secure`, and its origin is accepted on the dashboard's form posts.
   */
  publicUrl?: string;
  /**
   * The deployment-wide operator token (at least 32 characters): `GET /healthz` with it as a bearer
   * shows every tenant's detail. Without it, `/healthz` tells anyone only `{status, version}`.
   */
  operatorToken?: string;
  /** How failed admin tokens are throttled; `false` turns throttling off (tests of other things only). */
  adminThrottle?: AdminThrottleOptions | false;
  /**
   * Tenants as data: the admin API (`/admin/tenants…`) keeps them in this directory, and judges each
   * config with `validate`. The API is on only with this and `operatorToken` both given.
   */
  admin?: AdminApiOptions;
  /**
   * A link to a run's trace in a tracing UI, with `{traceId}` where the id goes (an https URL); each
   * item's dashboard page links its current run's trace.
   */
  traceUrl?: string;
}

/**
 * The factory's one HTTP app (`Request` → `Response`). Every runtime mounts it unchanged: Node's
 * server, a Lambda handler, a Worker's fetch.
 *
 * Throws when an option is invalid: a `publicUrl` that is not an http(s) URL, a trusted proxy that is
 * neither an IP nor a CIDR range, an operator token shorter than 32 characters, a trace URL that is not
 * https or lacks `{traceId}`.
 */
export function createFactoryApp(options: FactoryAppOptions): Hono {
  return createFactoryAppWithAssets({ ...options, dashboardAssets: inlineDashboardAssets });
}

/**
 * `createFactoryApp` whose dashboard stylesheet and script come from `dashboardAssets` (a Worker's
 * static assets) instead of the app's own copies: a bundle that calls only this does not carry them.
 */
export function createFactoryAppWithAssets(
  options: FactoryAppOptions & { dashboardAssets: DashboardAssets },
): Hono {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const operatorToken = operatorTokenOf(options.operatorToken);
  const security = new HttpSecurity({
    clock,
    logger,
    throttle:
      options.adminThrottle === false
        ? undefined
        : new AdminThrottle(options.store, clock, options.adminThrottle ?? {}),
    sessions: new SessionCookies(options.store),
    operatorToken,
    publicUrl: publicUrlOf(options.publicUrl),
    trusted: new TrustedProxies(options.trustedProxies ?? []),
    peer: options.clientAddress,
  });
  // Hono with its smallest router, one regular expression per route tried in turn: the default adds a
  // compiled-RegExp router and a trie (about 2.3 KiB gzip of a Worker) for a speed our few dozen routes
  // do not need, as a webhook delivery, the request that comes most, takes no router at all (below). It
  // takes a trailing slash as optional (`/healthz/` is `/healthz`), where the trie tells them apart.
  const app: Hono = new HonoBase({ router: new PatternRouter() });
  const metrics = options.metrics ?? new FactoryMetrics();

  // One answer for whatever escapes a route: the log gets the error, the client a request id.
  app.onError((error, c) => failedRequest(error, c.req.raw));
  function failedRequest(error: Error, request: Request): Response {
    if (error instanceof HTTPException) return error.getResponse();
    const requestId = crypto.randomUUID();
    logger.error('request failed', {
      requestId,
      method: request.method,
      path: new URL(request.url).pathname,
      error: errorMessage(error),
      ...(error.stack ? { stack: error.stack } : {}),
    });
    return jsonAnswer({ error: 'internal error', requestId }, 500);
  }

  app.use(async (c, next) => {
    await next();
    withSecurityHeaders(c.res);
  });

  // The tenant segment is checked before any route uses it: in a lookup, a cookie path, a log line.
  const checkTenant = async (c: Context, next: () => Promise<void>) => {
    if (!isTenantId(c.req.param('tenant'))) return c.json({ error: 'unknown tenant' }, 404);
    await next();
  };
  // `/t/:tenant/*` takes `/t/acme` too.
  app.use('/t/:tenant/*', checkTenant);

  mountHealth(app, options.tenants, options.store, options.version, security);

  app.post('/t/:tenant/webhooks/:source', (c) =>
    receiveDelivery(c.req.raw, c.req.param('tenant'), c.req.param('source')),
  );

  /**
   * One webhook delivery, answered whole: in its span, counted by the status it was answered with
   * (not a 404: nobody grows the series by inventing names), an escaped error answered as `onError`
   * does. It builds its answers itself, security headers included, so a delivery the app's `fetch`
   * hands here straight (below) takes no router, context or middleware.
   */
  async function receiveDelivery(request: Request, tenantId: string, sourceName: string): Promise<Response> {
    let response: Response;
    try {
      response = await inDeliverySpan(request, { tenant: tenantId, source: sourceName }, () =>
        receiveWebhook(request, tenantId, sourceName),
      );
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      response = withSecurityHeaders(failedRequest(error, request));
    }
    if (response.status !== 404) metrics.delivery(tenantId, sourceName, response.status);
    return response;
  }

  async function receiveWebhook(request: Request, tenantId: string, sourceName: string): Promise<Response> {
    const tenant = isTenantId(tenantId) ? await options.tenants.get(tenantId) : undefined;
    if (!tenant) return jsonAnswer({ error: 'unknown tenant' }, 404);
    const source = tenant.sources.get(sourceName);
    if (!source)
      return jsonAnswer({ error: `no webhook source "${sourceName}" is configured for this tenant` }, 404);

    const mediaType = mediaTypeOf(request);
    if (!source.contentTypes.includes(mediaType)) {
      return jsonAnswer(
        {
          error: `unsupported content type "${mediaType || 'none'}"; expected ${source.contentTypes.join(' or ')}`,
        },
        415,
      );
    }
    const rawBody = await readBodyCapped(request, maxBodyBytes, { framed: options.framedBodies === true });
    if (rawBody === 'too-large') return jsonAnswer({ error: `body larger than ${maxBodyBytes} bytes` }, 413);
    const body = utf8Text(rawBody);
    if (body === undefined) return jsonAnswer({ error: 'body is not valid UTF-8' }, 400);
    const webhook = incomingWebhook({ headers: request.headers, rawBody, body, receivedAt: clock.now() });
    let remembered: readonly string[] = [];
    let stopRenewing = () => {};
    try {
      await source.verify(webhook);
      // A delivery the source can name before interpreting it is claimed here, by one conditional
      // write: a retry is answered by that write alone, before schema checks or API calls, and a fresh one
      // costs no separate read. Whatever then stops it from becoming work (a handshake, a refusal, an error)
      // forgets it again, so the sender's retry is processed. The claim lasts DELIVERY_CLAIM_MS, renewed
      // while the handling runs: the change the delivery makes keeps it for the whole delivery memory when
      // it is stored. A repeat that finds a claim is answered 503 (being handled, or its handling died
      // unforgotten: the sender retries until the change is stored or the claim has run out), one that
      // finds a kept delivery as a duplicate.
      const identity = source.identify?.(webhook);
      if (identity) {
        const claimed = await rememberAll(tenant, await deliveryKeys(source, webhook, identity));
        if (!Array.isArray(claimed)) return repeated(request, tenant, claimed, identity.deliveryId);
        remembered = claimed;
        stopRenewing = renewClaim(tenant, claimed);
      }
      const interpretation = await source.interpret(webhook);
      // Protocol handshakes (URL verification, ping) are answered even before every provider is
      // connected: setting up the sender's webhook must not wait for the tokens.
      if (interpretation.reply) {
        await forget(tenant, remembered);
        const { status, contentType, body: replyBody } = interpretation.reply;
        return bodyAnswer(replyBody, status, contentType);
      }
      const unconnected = unconnectedProviders(await tenant.connections());
      if (unconnected.length > 0) {
        await forget(tenant, remembered);
        return jsonAnswer(
          { error: `not processing work: ${describeUnconnected(unconnected)}`, unconnected },
          503,
        );
      }
      if (interpretation.ignored !== undefined || interpretation.events.length === 0) {
        // Kept as done: its retry would be ignored too, and is answered as a duplicate.
        await keep(tenant, remembered);
        noteOutcome(request, 'ignored');
        return jsonAnswer({ status: 'ignored', reason: interpretation.ignored ?? 'no events' }, 202);
      }
      const deliveryId = identity ? identity.deliveryId : interpretation.deliveryId;
      if (!identity) {
        const claimed = await rememberAll(
          tenant,
          await deliveryKeys(source, webhook, {
            ...(deliveryId ? { deliveryId } : {}),
            recognisedBy: 'id-and-body',
          }),
        );
        if (!Array.isArray(claimed)) return repeated(request, tenant, claimed, deliveryId);
        remembered = claimed;
        stopRenewing = renewClaim(tenant, claimed);
      }
      // From here the handling owns the claim: it may outlive this request (waitUntil).
      const handling = { keys: remembered, stopRenewing };
      remembered = [];
      stopRenewing = () => {};
      if (source.acknowledge)
        await acknowledgeReceipt(source, interpretation, tenant, { publicUrl: options.publicUrl, logger });
      return await deliver(request, tenant, source, handling, interpretation.events);
    } catch (error) {
      await forget(tenant, remembered);
      if (error instanceof WebhookError) {
        logger.warn('webhook rejected', {
          tenant: tenant.id,
          source: source.source,
          status: error.status,
          reason: error.message,
        });
        return jsonAnswer({ error: error.message }, error.status);
      }
      // Not the request's fault: a dependency (the vendor's API, the store) failed while reading it.
      // The sender retries a 503; nothing stays remembered, so the retry is processed.
      logger.warn('webhook not processed: a dependency failed', {
        tenant: tenant.id,
        source: source.source,
        error: errorMessage(error),
      });
      return jsonAnswer({ error: 'a dependency is unavailable; retry later' }, 503, {
        'retry-after': String(DEPENDENCY_RETRY_AFTER_S),
      });
    } finally {
      stopRenewing();
    }
  }

  app.all('/t/:tenant/webhooks/:source', (c) =>
    c.json({ error: 'method not allowed; webhooks are POST' }, 405),
  );
  mountDashboard(app, options.tenants, metrics, security, options.dashboardAssets, {
    ...(options.traceUrl !== undefined ? { traceUrl: checkTraceUrl(options.traceUrl) } : {}),
  });
  mountDeploymentMetrics(app, options.tenants, metrics, security);
  const access = mountAdminApi(app, {
    registry: options.tenants,
    admin: options.admin,
    operatorToken,
    store: options.store,
    security,
  });
  mountConnectRoutes(app, { registry: options.tenants, security, access, publicUrl: options.publicUrl });
  app.notFound((c) => c.json({ error: 'not found' }, 404));

  /**
   * Remembers every key of one delivery, so of two copies arriving together only one is handled. The
   * keys remembered, or undefined when one was live already (a duplicate: the others are forgotten).
   */
  async function rememberAll(
    tenant: TenantRuntime,
    keys: readonly string[],
  ): Promise<string[] | { expiresAt: number }> {
    const now = clock.now();
    const remembered: string[] = [];
    for (const key of keys) {
      const memory = await options.store.rememberEvent(tenant.id, key, {
        now,
        expiresAt: now + claimOf(tenant),
      });
      if (!memory.fresh) {
        await forget(tenant, remembered);
        return memory;
      }
      remembered.push(key);
    }
    return remembered;
  }

  /** Keeps the claim on a delivery's keys while it is handled; returns what stops that. */
  function renewClaim(tenant: TenantRuntime, keys: readonly string[]): () => void {
    return renewWhileHandled(options.store, { tenant: tenant.id, keys, lengthMs: claimOf(tenant) }, clock);
  }

  /**
   * A delivery seen before: kept (its change is stored) is a duplicate; claimed, it is being handled or
   * its handling died, and the sender is asked to come back once the claim can have run out.
   */
  function repeated(
    request: Request,
    tenant: TenantRuntime,
    seen: { expiresAt: number },
    deliveryId: string | undefined,
  ): Response {
    const left = seen.expiresAt - clock.now();
    if (left > claimOf(tenant)) return duplicate(request, deliveryId);
    noteOutcome(request, 'in-progress');
    const retryAfter = String(Math.max(1, Math.ceil(left / 1000)));
    return jsonAnswer(
      {
        error: 'this delivery is being handled, or its handling stopped; retry it later',
        ...(deliveryId ? { deliveryId } : {}),
      },
      503,
      { 'retry-after': retryAfter },
    );
  }

  /**
   * Turns the claim on a delivery that was handled without storing a change (ignored, or nothing to do)
   * into the delivery memory: one write where the store keeps a key outright (`keepEvent`), else two,
   * the claim forgotten and the key remembered for longer. Best effort: if they fail, the claim runs
   * out and a retry is handled again, changing nothing again.
   */
  async function keep(tenant: TenantRuntime, keys: readonly string[]): Promise<void> {
    const now = clock.now();
    const expiresAt = now + tenant.factory.settings.deliveryMemory + claimOf(tenant);
    const { store } = options;
    for (const key of keys)
      await (store.keepEvent
        ? store.keepEvent(tenant.id, key, expiresAt)
        : store
            .forgetEvent(tenant.id, key)
            .then(() => store.rememberEvent(tenant.id, key, { now, expiresAt }))
      ).catch(() => {});
  }

  /** Forgets a delivery that did not become work, so the sender's retry is processed. */
  async function forget(tenant: TenantRuntime, keys: readonly string[]): Promise<void> {
    for (const key of keys) await options.store.forgetEvent(tenant.id, key).catch(() => {});
  }

  async function deliver(
    request: Request,
    tenant: TenantRuntime,
    source: WebhookSource,
    handling: { keys: readonly string[]; stopRenewing: () => void },
    events: IncomingWebhookEvents,
  ): Promise<Response> {
    const remembered = handling.keys;
    const work = (async () => {
      const results: HandleResult[] = [];
      // Kept by the first change an event stores: a duplicate for the delivery memory (a claim's length
      // more, so that a kept key never looks like a claim until the memory has run out).
      const memory = clock.now() + tenant.factory.settings.deliveryMemory + claimOf(tenant);
      const delivery = remembered.map((key) => ({ key, expiresAt: memory }));
      const deliverySpan = deliverySpanOf(request);
      const traced = deliveryUntraced(request) ? { traced: false } : {};
      for (const event of events)
        results.push(
          await tenant.factory.handle(event, {
            delivery,
            ...(deliverySpan ? { deliverySpan } : {}),
            ...traced,
          }),
        );
      // One whose events stored nothing is kept as done here, so its claim never outlives its handling.
      if (!results.some((result) => result.deliveryKept)) await keep(tenant, remembered);
      return results;
    })();
    work.then(handling.stopRenewing, handling.stopRenewing);
    // Forgotten if handling fails, so the sender's retry is handled.
    const failed = async (reason: string) => {
      await forget(tenant, remembered);
      return reason;
    };
    if (source.answerWithinMs !== undefined && options.waitUntil) {
      const settled = work.then(
        (results) => results,
        (error: unknown) => error,
      );
      options.waitUntil(
        settled.then((outcome) => (Array.isArray(outcome) ? undefined : failed(errorMessage(outcome)))),
      );
      const early = await Promise.race([settled, sleep(source.answerWithinMs).then(() => 'late' as const)]);
      if (early === 'late') {
        noteOutcome(request, 'accepted');
        return jsonAnswer({ status: 'accepted' }, 200);
      }
      if (!Array.isArray(early)) return jsonAnswer({ error: 'internal error; the sender should retry' }, 500);
      return answer(request, early, failed);
    }
    try {
      return await answer(request, await work, failed);
    } catch (error) {
      await failed(errorMessage(error));
      logger.error('event handling failed', {
        tenant: tenant.id,
        source: source.source,
        error: errorMessage(error),
      });
      return jsonAnswer({ error: 'internal error; the sender should retry' }, 500);
    }
  }

  // A webhook delivery is answered without the router: it is the request the app gets most, and the
  // one a sender times. Anything else (another method, a tenant id that is no id, a path the router
  // would decode first) goes the router's way, which answers it the same as before.
  const route = app.fetch;
  app.fetch = (request, env, executionCtx) => {
    if (request.method === 'POST') {
      const delivery = webhookPathOf(request.url);
      if (delivery && isTenantId(delivery.tenant))
        return receiveDelivery(request, delivery.tenant, delivery.source);
    }
    return route(request, env, executionCtx);
  };

  return app;
}

/** A tenant's claim: `DELIVERY_CLAIM_MS`, or its whole delivery memory if that is shorter. */
function claimOf(tenant: TenantRuntime): number {
  return Math.min(DELIVERY_CLAIM_MS, tenant.factory.settings.deliveryMemory);
}

/**
 * How long a delivery is claimed while it is handled, renewed every third of it while the handling lasts
 * (`renewWhileHandled`): shorter than a sender's wait before its next retry (Slack and Linear retry after
 * a minute), so a delivery whose handling died unforgotten (the process killed) is handled on that retry.
 * A repeat meanwhile is answered 503 with Retry-After. Its stored change then keeps it for
 * `settings.deliveryMemory`, in the same write; one that stored nothing (ignored, or nothing to do) is
 * kept by one or two writes of its own (`keep`).
 */
export const DELIVERY_CLAIM_MS = 30_000;

type IncomingWebhookEvents = Awaited<ReturnType<WebhookSource['interpret']>>['events'];

/**
 * The de-duplication keys of a verified delivery, by what recognises it again: the sender's id
 * (`<source>:<id>`), the body's hash (`<source>:sha256:<hex>`, or `<source>:hmac:<hex>` when the source
 * names the verified signature of the body as its digest), or both. A source that names no identity is
 * recognised by both, after interpreting: its interpreted id and its bytes.
 */
async function deliveryKeys(
  source: WebhookSource,
  webhook: IncomingWebhook,
  identity: DeliveryIdentity,
): Promise<string[]> {
  const { id, body } = recognition(identity);
  return [
    ...(id ? [`${source.source}:${id}`] : []),
    ...(body ? [await bodyKey(source, webhook, identity)] : []),
  ];
}

async function bodyKey(
  source: WebhookSource,
  webhook: IncomingWebhook,
  identity: DeliveryIdentity,
): Promise<string> {
  if (identity.bodyDigest) return `${source.source}:hmac:${identity.bodyDigest}`;
  return `${source.source}:sha256:${await sha256Hex(webhook.rawBody)}`;
}

function duplicate(request: Request, deliveryId: string | undefined): Response {
  noteOutcome(request, 'duplicate');
  return jsonAnswer({ status: 'duplicate', ...(deliveryId ? { deliveryId } : {}) }, 200);
}

async function answer(
  request: Request,
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
  noteOutcome(request, incomplete ? 'incomplete' : 'processed');
  if (incomplete) {
    // State is saved; a retry (or the next tick) finishes the side effects that failed.
    await failed(incomplete.error ?? 'incomplete');
    return jsonAnswer({ status: 'incomplete', results: summary }, 503, { 'retry-after': '30' });
  }
  return jsonAnswer({ status: 'processed', results: summary }, 200);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function publicUrlOf(value: string | undefined): URL | undefined {
  if (value === undefined) return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new Error(`publicUrl must be an http(s) URL such as https://factory.example.com, got "${value}"`);
  return url;
}

function operatorTokenOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length < MIN_ADMIN_TOKEN_LENGTH)
    throw new Error(`the operator token must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters long`);
  return value;
}
