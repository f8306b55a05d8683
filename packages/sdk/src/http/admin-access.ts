import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { timingSafeEqual } from '../ingress/hmac.ts';
import {
  isTenantId,
  MIN_ADMIN_TOKEN_LENGTH,
  type TenantRegistry,
  type TenantRuntime,
} from '../ingress/tenants.ts';
import { renderLogin } from './dashboard-page.ts';
import { bearerOf, type HttpSecurity } from './http-security.ts';

export const SESSION_COOKIE = 'factory_session';
/** The throttle scope of the deployment-wide operator token (no tenant id can start with `_`). */
export const OPERATOR_SCOPE = '_operator';

export type AdminTenant = TenantRuntime & { adminToken: string };
export type Access = { tenant: AdminTenant } | { response: Response };
type Format = 'html' | 'json' | 'text';

/** Tenants whose admin token was found too short, so the refusal is logged once per instance. */
const warnedShort = new WeakSet<TenantRuntime>();

/** A tenant whose admin views are on: known, with an admin token long enough to be one. */
export async function adminTenant(
  c: Context,
  registry: TenantRegistry,
  security: HttpSecurity,
): Promise<AdminTenant | Response> {
  const id = c.req.param('tenant') ?? '';
  const tenant = isTenantId(id) ? await registry.get(id) : undefined;
  if (!tenant) return c.json({ error: 'unknown tenant' }, 404);
  const adminToken = tenant.adminToken;
  if (!adminToken)
    return c.json({ error: 'the dashboard is off: no admin token is configured for this tenant' }, 404);
  if (adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    if (!warnedShort.has(tenant)) {
      warnedShort.add(tenant);
      security.logger.error('admin token refused: too short', {
        tenant: id,
        minimum: MIN_ADMIN_TOKEN_LENGTH,
      });
    }
    return c.json(
      {
        error: `the dashboard is off: this tenant's admin token is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters`,
      },
      404,
    );
  }
  return Object.assign(tenant, { adminToken });
}

/** A 429 for a client that must wait before trying a token again. */
export function tooManyAttempts(c: Context, waitMs: number, format: Format): Response {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const message = `too many wrong admin tokens; try again in ${seconds} s`;
  c.header('retry-after', String(seconds));
  if (format === 'html') return c.html(renderLogin(c.req.param('tenant') ?? '', message), 429);
  return format === 'json' ? c.json({ error: message }, 429) : c.text(`${message}\n`, 429);
}

/**
 * Checks a token against the expected one under the throttle of `scope`: 429 while the client (or the
 * whole scope) must wait, then a constant-time comparison; a wrong token is counted.
 */
export async function checkToken(
  c: Context,
  security: HttpSecurity,
  scope: string,
  given: string,
  expected: string,
  format: Format,
): Promise<{ ok: true } | { ok: false; response?: Response }> {
  const address = security.client(c).address;
  const throttle = security.throttle;
  if (throttle) {
    const wait = await throttle.waitMs(scope, address);
    if (wait > 0) return { ok: false, response: tooManyAttempts(c, wait, format) };
  }
  if (timingSafeEqual(given, expected)) {
    await throttle?.succeeded(scope, address);
    return { ok: true };
  }
  await throttle?.failed(scope, address);
  security.logger.warn('wrong admin token', { scope, ...(address ? { client: address } : {}) });
  return { ok: false };
}

/**
 * The admin views of one tenant: its admin token as `Authorization: Bearer` (scripts, scrapers) or a
 * session cookie from the login form (browsers). Never a query string, where it would be logged.
 */
export async function adminAccess(
  c: Context,
  registry: TenantRegistry,
  security: HttpSecurity,
  format: Format,
): Promise<Access> {
  const tenant = await adminTenant(c, registry, security);
  if (tenant instanceof Response) return { response: tenant };
  const bearer = bearerOf(c);
  if (bearer !== undefined) {
    const checked = await checkToken(c, security, tenant.id, bearer, tenant.adminToken, format);
    if (checked.ok) return { tenant };
    if (checked.response) return { response: checked.response };
  } else {
    const cookie = getCookie(c, SESSION_COOKIE);
    const now = security.clock.now();
    if (cookie && (await security.sessions.verify(tenant.id, tenant.adminToken, cookie, now)))
      return { tenant };
  }
  const given = bearer !== undefined || getCookie(c, SESSION_COOKIE) !== undefined;
  const message =
    bearer !== undefined
      ? 'wrong admin token'
      : given
        ? 'the session is over; sign in again'
        : 'an admin token is required';
  if (format === 'html')
    return { response: c.html(renderLogin(tenant.id, given ? message : undefined), 401) };
  return { response: format === 'json' ? c.json({ error: message }, 401) : c.text(`${message}\n`, 401) };
}

/** The deployment-wide operator token, when one is configured and the request carries a bearer. */
export async function operatorAccess(
  c: Context,
  security: HttpSecurity,
): Promise<'granted' | 'anonymous' | Response> {
  const bearer = bearerOf(c);
  if (!security.operatorToken || bearer === undefined) return 'anonymous';
  const checked = await checkToken(c, security, OPERATOR_SCOPE, bearer, security.operatorToken, 'json');
  if (checked.ok) return 'granted';
  return checked.response ?? c.json({ error: 'wrong operator token' }, 401);
}
