import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { hmacSha256Hex, timingSafeEqual } from '../ingress/hmac.ts';
import type { TenantRegistry, TenantRuntime } from '../ingress/tenants.ts';
import type { FactoryMetrics } from '../status/metrics.ts';
import { tenantStatus } from '../status/tenant-status.ts';
import { renderLogin, renderPage, renderStatus } from './dashboard-page.ts';

const COOKIE = 'factory_session';
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The session cookie's value: derived from the admin token, so the token itself never sits in a cookie. */
function sessionValue(tenant: TenantRuntime & { adminToken: string }): Promise<string> {
  return hmacSha256Hex(tenant.adminToken, `factory-dashboard:${tenant.id}`);
}

type Access = { tenant: TenantRuntime & { adminToken: string } } | { response: Response };

/**
 * The read-only operator views of one tenant, behind its admin token: sent as `Authorization: Bearer`
 * (scrapers, scripts) or exchanged once at the login form for an HttpOnly session cookie (browsers).
 * The token is never accepted in a query string, where it would end up in access logs.
 */
export function mountDashboard(app: Hono, registry: TenantRegistry, metrics: FactoryMetrics): void {
  async function access(c: Context, format: 'html' | 'json' | 'text'): Promise<Access> {
    const id = c.req.param('tenant') ?? '';
    const tenant = TENANT_ID.test(id) ? await registry.get(id) : undefined;
    if (!tenant) return { response: c.json({ error: 'unknown tenant' }, 404) };
    const adminToken = tenant.adminToken;
    if (!adminToken)
      return {
        response: c.json(
          { error: 'the dashboard is off: no admin token is configured for this tenant' },
          404,
        ),
      };
    const withToken = Object.assign(tenant, { adminToken });
    const bearer = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (bearer && timingSafeEqual(bearer, adminToken)) return { tenant: withToken };
    const cookie = getCookie(c, COOKIE);
    if (cookie && timingSafeEqual(cookie, await sessionValue(withToken))) return { tenant: withToken };
    const message = bearer || cookie ? 'wrong admin token' : 'an admin token is required';
    if (format === 'html')
      return { response: c.html(renderLogin(id, bearer || cookie ? message : undefined), 401) };
    return { response: format === 'json' ? c.json({ error: message }, 401) : c.text(`${message}\n`, 401) };
  }

  async function status(tenant: TenantRuntime) {
    const { store, clock } = tenant.factory.ports;
    return tenantStatus(store, tenant.id, await tenant.connections(), clock.now());
  }

  app.get('/t/:tenant', (c) => c.redirect(`/t/${encodeURIComponent(c.req.param('tenant'))}/`, 301));

  app.get('/t/:tenant/', async (c) => {
    const granted = await access(c, 'html');
    if ('response' in granted) return granted.response;
    c.header('cache-control', 'no-store');
    return c.html(renderPage(granted.tenant.id, renderStatus(await status(granted.tenant))));
  });

  app.get('/t/:tenant/status.json', async (c) => {
    const granted = await access(c, 'json');
    if ('response' in granted) return granted.response;
    c.header('cache-control', 'no-store');
    return c.json(await status(granted.tenant));
  });

  app.get('/t/:tenant/metrics', async (c) => {
    const granted = await access(c, 'text');
    if ('response' in granted) return granted.response;
    const body = metrics.render(granted.tenant.id, await status(granted.tenant));
    return c.text(body, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  app.post('/t/:tenant/login', async (c) => {
    const id = c.req.param('tenant');
    const tenant = TENANT_ID.test(id) ? await registry.get(id) : undefined;
    if (!tenant?.adminToken) return c.json({ error: 'unknown tenant or dashboard off' }, 404);
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = typeof form.token === 'string' ? form.token : '';
    if (!token || !timingSafeEqual(token, tenant.adminToken))
      return c.html(renderLogin(id, 'wrong admin token'), 401);
    setCookie(c, COOKIE, await sessionValue(Object.assign(tenant, { adminToken: tenant.adminToken })), {
      httpOnly: true,
      sameSite: 'Strict',
      path: `/t/${id}/`,
      secure: new URL(c.req.url).protocol === 'https:',
      maxAge: 12 * 3600,
    });
    return c.redirect(`/t/${encodeURIComponent(id)}/`, 303);
  });

  app.post('/t/:tenant/logout', (c) => {
    deleteCookie(c, COOKIE, { path: `/t/${c.req.param('tenant')}/` });
    return c.redirect(`/t/${encodeURIComponent(c.req.param('tenant'))}/`, 303);
  });
}
