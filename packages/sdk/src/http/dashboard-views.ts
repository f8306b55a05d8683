import type { Context, Hono } from 'hono';
import { sha256Hex } from '../ingress/hmac.ts';
import { SCHEDULE_DOCUMENT } from '../pipeline/schedule.ts';
import type { TenantRegistry, TenantRuntime } from '../ports/tenant-runtime.ts';
import { recordsOf } from '../record-listing.ts';
import { itemHistory } from '../status/item-history.ts';
import { factoryPlots } from '../status/plots.ts';
import { filterStatus, type Parsed, parsePlotWindow, parseStatusFilter } from '../status/status-filter.ts';
import { type TenantStatus, tenantStatus } from '../status/tenant-status.ts';
import { adminAccess } from './admin-access.ts';
import { renderProblem } from './dashboard-html.ts';
import { renderItemPage } from './dashboard-item-page.ts';
import { renderPage } from './dashboard-page.ts';
import { renderPlotsPage } from './dashboard-plots-page.ts';
import type { HttpSecurity } from './http-security.ts';

/** The most records the plots read: plenty for a team's month; a larger tenant's plots are of its latest. */
const PLOTTED_RECORDS = 5_000;
const MAX_ITEM_ID = 200;

/**
 * The operator's pages and their data, all behind the tenant's admin token or session: the overview
 * (`/`, `status.json`), an item's whole history (`items/:id`, `items/:id/history.json`) and the plots
 * (`plots`, `plots.json`). Each data endpoint answers with an ETag and `304` to a matching
 * `If-None-Match`, which is what keeps the pages live for the cost of a small request.
 */
export function mountDashboardViews(
  app: Hono,
  registry: TenantRegistry,
  security: HttpSecurity,
  options: { traceUrl?: string },
): void {
  async function status(tenant: TenantRuntime): Promise<TenantStatus> {
    const { store, clock } = tenant.factory.ports;
    return tenantStatus(store, tenant.id, await tenant.connections(), clock.now());
  }

  function refused(c: Context, parsed: { error: string }, html: boolean, tenant: string): Response {
    c.header('cache-control', 'no-store');
    if (!html) return c.json({ error: parsed.error }, 400);
    return c.html(renderProblem(tenant, 'Bad request', parsed.error, security.clock.now()), 400);
  }

  /** The data as JSON with its ETag, or `304` when the client holds that version already. */
  function versioned(c: Context, body: unknown, etag: string): Response {
    c.header('cache-control', 'no-store');
    c.header('etag', etag);
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.json(body);
  }

  function query(c: Context): URLSearchParams {
    return new URL(c.req.url).searchParams;
  }

  function filtered<T>(c: Context, parsed: Parsed<T>, html: boolean, tenant: string): T | Response {
    return 'error' in parsed ? refused(c, parsed, html, tenant) : parsed.ok;
  }

  app.get('/t/:tenant/', async (c) => {
    const granted = await adminAccess(c, registry, security, 'html');
    if ('response' in granted) return granted.response;
    const filter = filtered(c, parseStatusFilter(query(c)), true, granted.tenant.id);
    if (filter instanceof Response) return filter;
    c.header('cache-control', 'no-store');
    const whole = await status(granted.tenant);
    return c.html(renderPage(filterStatus(whole, filter), filter, await statusTag(whole)));
  });

  app.get('/t/:tenant/status.json', async (c) => {
    const granted = await adminAccess(c, registry, security, 'json');
    if ('response' in granted) return granted.response;
    const filter = filtered(c, parseStatusFilter(query(c)), false, granted.tenant.id);
    if (filter instanceof Response) return filter;
    const whole = await status(granted.tenant);
    return versioned(c, filterStatus(whole, filter), await statusTag(whole, query(c).toString()));
  });

  async function history(c: Context, tenant: TenantRuntime) {
    const id = c.req.param('id') ?? '';
    // An id no tracker would give is unknown without asking the store (whose keys have limits of their own).
    if (id.length === 0 || id.length > MAX_ITEM_ID || /\p{Cc}/u.test(id)) return undefined;
    const { record } = await tenant.factory.ports.store.load(tenant.id, id, SCHEDULE_DOCUMENT);
    if (!record) return undefined;
    const fleet = tenant.factory.ports.fleet;
    const item = itemHistory(record, {
      tenant: tenant.id,
      ...(options.traceUrl ? { traceUrl: options.traceUrl } : {}),
      ...(fleet.agentLogUrl ? { agentLogUrl: (agentId: string) => fleet.agentLogUrl?.(agentId) } : {}),
    });
    return { item, etag: await tag(JSON.stringify(item)) };
  }

  app.get('/t/:tenant/items/:id', async (c) => {
    const granted = await adminAccess(c, registry, security, 'html');
    if ('response' in granted) return granted.response;
    c.header('cache-control', 'no-store');
    const found = await history(c, granted.tenant);
    const now = granted.tenant.factory.ports.clock.now();
    if (!found)
      return c.html(
        renderProblem(
          granted.tenant.id,
          'Unknown item',
          'No item with this id is known to the factory.',
          now,
        ),
        404,
      );
    return c.html(renderItemPage(found.item, now, found.etag));
  });

  app.get('/t/:tenant/items/:id/history.json', async (c) => {
    const granted = await adminAccess(c, registry, security, 'json');
    if ('response' in granted) return granted.response;
    const found = await history(c, granted.tenant);
    if (!found) return c.json({ error: 'unknown item' }, 404);
    return versioned(c, found.item, found.etag);
  });

  async function plots(tenant: TenantRuntime, window: Parameters<typeof factoryPlots>[1]) {
    const { store, clock } = tenant.factory.ports;
    return factoryPlots(await recordsOf(store, tenant.id, { max: PLOTTED_RECORDS }), window, clock.now());
  }

  app.get('/t/:tenant/plots', async (c) => {
    const granted = await adminAccess(c, registry, security, 'html');
    if ('response' in granted) return granted.response;
    const window = filtered(c, parsePlotWindow(query(c)), true, granted.tenant.id);
    if (window instanceof Response) return window;
    c.header('cache-control', 'no-store');
    const [drawn, whole] = await Promise.all([plots(granted.tenant, window), status(granted.tenant)]);
    return c.html(renderPlotsPage(granted.tenant.id, drawn, await statusTag(whole)));
  });

  app.get('/t/:tenant/plots.json', async (c) => {
    const granted = await adminAccess(c, registry, security, 'json');
    if ('response' in granted) return granted.response;
    const window = filtered(c, parsePlotWindow(query(c)), false, granted.tenant.id);
    if (window instanceof Response) return window;
    c.header('cache-control', 'no-store');
    return c.json(await plots(granted.tenant, window));
  });
}

/**
 * The version of a status: everything but the moment it was read, so an unchanged factory answers
 * `304`. `variant` (the query) keeps a filtered answer's tag apart from the whole one.
 */
async function statusTag(status: TenantStatus, variant = ''): Promise<string> {
  return tag(`${variant}\u0000${JSON.stringify({ ...status, generatedAt: 0 })}`);
}

async function tag(text: string): Promise<string> {
  return `"${(await sha256Hex(text)).slice(0, 32)}"`;
}
