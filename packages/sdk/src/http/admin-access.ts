import type { Context } from 'hono';
import { sha256Hex, timingSafeEqual } from '../ingress/hmac.ts';
import { isTenantId, MIN_ADMIN_TOKEN_LENGTH } from '../ingress/tenants.ts';
import type { TenantRegistry, TenantRuntime } from '../ports/tenant-runtime.ts';
import { renderLogin } from './dashboard-page.ts';
import { bearerOf, type HttpSecurity } from './http-security.ts';
import { sessionCookieOf } from './session-cookie.ts';

export { SESSION_COOKIE } from './session-cookie.ts';
/** The throttle scope of the deployment-wide operator token (no tenant id can start with `_`). */
export const OPERATOR_SCOPE = '_operator';

/** A tenant whose admin views are on, with the SHA-256 (hex) of its admin token. */
export interface AdminTenant {
  tenant: TenantRuntime;
  adminTokenSha256: string;
}
export type Access = AdminTenant | { response: Response };
type Format = 'html' | 'json' | 'text';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Tenants whose admin token was refused (too short, a malformed hash), so it is logged once per instance. */
const warned = new WeakSet<TenantRuntime>();

/**
 * The SHA-256 (hex) of a tenant's admin token, from the token (config) or the stored hash (a tenant of
 * the admin API), or why its admin views are off. A refused token is logged once, never its value.
 */
export async function adminTokenHashOf(
  tenant: TenantRuntime,
  security: HttpSecurity,
): Promise<{ sha256: string } | { off: string }> {
  const refuse = (log: string, off: string, fields: Record<string, number> = {}) => {
    if (!warned.has(tenant)) {
      warned.add(tenant);
      security.logger.error(log, { tenant: tenant.id, ...fields });
    }
    return { off };
  };
  if (tenant.adminToken !== undefined) {
    if (tenant.adminToken.length < MIN_ADMIN_TOKEN_LENGTH)
      return refuse(
        'admin token refused: too short',
        `this tenant's admin token is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters`,
        { minimum: MIN_ADMIN_TOKEN_LENGTH },
      );
    return { sha256: await sha256Hex(tenant.adminToken) };
  }
  if (tenant.adminTokenSha256 !== undefined) {
    const sha256 = tenant.adminTokenSha256.toLowerCase();
    if (!SHA256_HEX.test(sha256))
      return refuse(
        'admin token refused: its stored hash is not a SHA-256',
        "this tenant's admin token hash is not a SHA-256 (64 hex digits)",
      );
    return { sha256 };
  }
  return { off: 'no admin token is configured for this tenant' };
}

/** A tenant whose admin views are on: known, with an admin token (or its hash) that can be one. */
export async function adminTenant(
  c: Context,
  registry: TenantRegistry,
  security: HttpSecurity,
): Promise<AdminTenant | Response> {
  const id = c.req.param('tenant') ?? '';
  const tenant = isTenantId(id) ? await registry.get(id) : undefined;
  if (!tenant) return c.json({ error: 'unknown tenant' }, 404);
  const hash = await adminTokenHashOf(tenant, security);
  if ('off' in hash) return c.json({ error: `the dashboard is off: ${hash.off}` }, 404);
  return { tenant, adminTokenSha256: hash.sha256 };
}

/** True when `given` hashes to `sha256` (hex), compared in constant time. */
export async function matchesTokenHash(given: string, sha256: string): Promise<boolean> {
  return timingSafeEqual(await sha256Hex(given), sha256);
}

/** A 429 for a client that must wait before trying a token again. */
export function tooManyAttempts(c: Context, waitMs: number, format: Format): Response {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const message = `too many wrong admin tokens; try again in ${seconds} s`;
  c.header('retry-after', String(seconds));
  if (format === 'html') return c.html(renderLogin(c.req.param('tenant') ?? '', message), 429);
  return format === 'json' ? c.json({ error: message }, 429) : c.text(`${message}\n`, 429);
}

/** One token a route accepts: the throttle scope it counts under, and how a given token is checked. */
export interface TokenCandidate<Grant> {
  scope: string;
  matches(given: string): boolean | Promise<boolean>;
  grants: Grant;
}

/**
 * Checks a token against every token a route accepts, under their throttles: 429 while the client (or a
 * whole scope) must wait; then every candidate is compared (in constant time, each one, so the time
 * does not say which came close); a wrong token is counted in every scope it was a guess at.
 */
export async function checkCandidates<Grant>(
  c: Context,
  security: HttpSecurity,
  given: string,
  candidates: readonly TokenCandidate<Grant>[],
  format: Format,
): Promise<{ ok: true; grants: Grant } | { ok: false; response?: Response }> {
  const address = security.client(c).address;
  const throttle = security.throttle;
  if (throttle) {
    let wait = 0;
    for (const candidate of candidates)
      wait = Math.max(wait, await throttle.waitMs(candidate.scope, address));
    if (wait > 0) return { ok: false, response: tooManyAttempts(c, wait, format) };
  }
  const results = await Promise.all(candidates.map((candidate) => candidate.matches(given)));
  const granted = candidates[results.indexOf(true)];
  if (granted) {
    await throttle?.succeeded(granted.scope, address);
    return { ok: true, grants: granted.grants };
  }
  for (const candidate of candidates) await throttle?.failed(candidate.scope, address);
  security.logger.warn('wrong admin token', {
    scope: candidates.map((candidate) => candidate.scope).join(','),
    ...(address ? { client: address } : {}),
  });
  return { ok: false };
}

/** Checks a token against the expected one under the throttle of `scope` (see `checkCandidates`). */
export async function checkToken(
  c: Context,
  security: HttpSecurity,
  scope: string,
  given: string,
  expected: string,
  format: Format,
): Promise<{ ok: true } | { ok: false; response?: Response }> {
  const candidate = { scope, matches: (token: string) => timingSafeEqual(token, expected), grants: true };
  return checkCandidates(c, security, given, [candidate], format);
}

/** Checks a token against a tenant's admin token hash under the tenant's throttle. */
export async function checkAdminToken(
  c: Context,
  security: HttpSecurity,
  admin: AdminTenant,
  given: string,
  format: Format,
): Promise<{ ok: true } | { ok: false; response?: Response }> {
  const candidate = {
    scope: admin.tenant.id,
    matches: (token: string) => matchesTokenHash(token, admin.adminTokenSha256),
    grants: true,
  };
  return checkCandidates(c, security, given, [candidate], format);
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
  const admin = await adminTenant(c, registry, security);
  if (admin instanceof Response) return { response: admin };
  const { tenant, adminTokenSha256 } = admin;
  const bearer = bearerOf(c);
  if (bearer !== undefined) {
    const checked = await checkAdminToken(c, security, admin, bearer, format);
    if (checked.ok) return admin;
    if (checked.response) return { response: checked.response };
  } else {
    const cookie = sessionCookieOf(c);
    const now = security.clock.now();
    if (cookie && (await security.sessions.verify(tenant.id, adminTokenSha256, cookie, now))) return admin;
  }
  const given = bearer !== undefined || sessionCookieOf(c) !== undefined;
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
