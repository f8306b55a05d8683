import type { Context, Hono } from 'hono';
import type { TenantRegistry, TenantRuntime } from '../ports/tenant-runtime.ts';
import type { FactoryMetrics } from '../status/metrics.ts';
import { tenantStatus } from '../status/tenant-status.ts';
import { type AdminTenant, adminAccess, adminTenant, checkAdminToken } from './admin-access.ts';
import type { DashboardAssets } from './dashboard-asset-source.ts';
import { renderLogin } from './dashboard-html.ts';
import { mountDashboardViews } from './dashboard-views.ts';
import type { HttpSecurity } from './http-security.ts';
import { FORM_MAX_BYTES, readFormCapped } from './read-body.ts';
import { clearSessionCookie, sessionCookieOf, setSessionCookie } from './session-cookie.ts';
import { SESSION_TTL_MS } from './sessions.ts';

/**
 * The read-only operator views of one tenant, behind its admin token (in config, or kept only as its
 * hash for a tenant of the admin API): sent as `Authorization: Bearer` (scrapers, scripts) or exchanged
 * at the login form for an HttpOnly session cookie (browsers).
 */
export function mountDashboard(
  app: Hono,
  registry: TenantRegistry,
  metrics: FactoryMetrics,
  security: HttpSecurity,
  dashboardAssets: DashboardAssets,
  options: { traceUrl?: string } = {},
): void {
  async function status(tenant: TenantRuntime) {
    const { store, clock } = tenant.factory.ports;
    return tenantStatus(store, tenant.id, await tenant.connections(), clock.now());
  }

  /**
   * The form a browser posted to a tenant's login or logout. A post from a page of another site is
   * refused before anything is read; then the tenant must have a dashboard, and the form keep its cap.
   */
  async function postedForm(c: Context): Promise<{ admin: AdminTenant; form: URLSearchParams } | Response> {
    if (!security.sameOrigin(c)) return c.json({ error: 'cross-origin form posts are refused' }, 403);
    const admin = await adminTenant(c, registry, security);
    if (admin instanceof Response) return admin;
    const form = await readFormCapped(c.req.raw, FORM_MAX_BYTES);
    if (!(form instanceof URLSearchParams)) return c.json({ error: form.error }, form.status);
    return { admin, form };
  }

  // The router takes a trailing slash as optional, so `/t/acme/` matches here too: it is the dashboard's.
  app.get('/t/:tenant', (c, next) =>
    c.req.path.endsWith('/') ? next() : c.redirect(`/t/${encodeURIComponent(c.req.param('tenant'))}/`, 301),
  );

  app.get('/t/:tenant/dashboard.js', (c) => dashboardAssets('dashboard.js', c.req.raw));
  app.get('/t/:tenant/dashboard.css', (c) => dashboardAssets('dashboard.css', c.req.raw));

  mountDashboardViews(app, registry, security, options);

  app.get('/t/:tenant/metrics', async (c) => {
    const granted = await adminAccess(c, registry, security, 'text');
    if ('response' in granted) return granted.response;
    const body = metrics.render(granted.tenant.id, await status(granted.tenant));
    return c.text(body, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  app.post('/t/:tenant/login', async (c) => {
    const posted = await postedForm(c);
    if (posted instanceof Response) return posted;
    const { admin, form } = posted;
    const { tenant } = admin;
    const checked = await checkAdminToken(c, security, admin, form.get('token') ?? '', 'html');
    if (!checked.ok) return checked.response ?? c.html(renderLogin(tenant.id, 'wrong admin token'), 401);
    const session = await security.sessions.issue(tenant.id, admin.adminTokenSha256, security.clock.now());
    const scope = { path: `/t/${tenant.id}/`, secure: security.secureCookies(c) };
    setSessionCookie(c, session, scope, SESSION_TTL_MS / 1000);
    return c.redirect(`/t/${tenant.id}/`, 303);
  });

  app.post('/t/:tenant/logout', async (c) => {
    const posted = await postedForm(c);
    if (posted instanceof Response) return posted;
    // The form is read (within its cap) and has nothing to say: the session is in the cookie.
    const { admin } = posted;
    const { tenant } = admin;
    await security.sessions.revoke(
      tenant.id,
      admin.adminTokenSha256,
      sessionCookieOf(c),
      security.clock.now(),
    );
    clearSessionCookie(c, { path: `/t/${tenant.id}/`, secure: security.secureCookies(c) });
    return c.redirect(`/t/${tenant.id}/`, 303);
  });
}
