import type { Context, Hono } from 'hono';
import { sha256Hex } from '../ingress/hmac.ts';
import { isTenantId } from '../ingress/tenants.ts';
import { describeUnconnected, unconnectedProviders } from '../ingress/unconnected-providers.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { TenantDirectory } from '../ports/tenant-directory.ts';
import type { TenantRegistry } from '../ports/tenant-runtime.ts';
import { type AdminApiAccess, authorizeAdminCall, locateTenant, namedTenant } from './admin-api-access.ts';
import { type ConfigIssue, operatorOnlyChanges } from './guarded-fields.ts';

import type { HttpSecurity } from './http-security.ts';
import { isJsonObject, readJsonCapped } from './json-body.ts';
import { revokeAllSessions } from './sessions.ts';

/** What the admin API needs from the deployment: where tenants are kept, and how a config is judged. */
export interface AdminApiOptions {
  directory: TenantDirectory;
  /**
   * The problems of a tenant's config, checked as this deployment would run it, with secrets only as
   * references (a literal secret is an issue at its path); empty when the config is valid.
   */
  validate(id: string, config: Record<string, unknown>): Promise<ConfigIssue[]>;
  /** A stored tenant was created, changed or removed (e.g. the registry's `invalidate`). */
  changed?(id: string): void;
  /** Deletes what a removed tenant leaves behind, e.g. its stored credentials. */
  removed?(id: string): Promise<void>;
}

/** Everything the admin routes share. */
export interface AdminApiContext {
  registry: TenantRegistry;
  admin: AdminApiOptions | undefined;
  operatorToken: string | undefined;
  store: StateStore;
  security: HttpSecurity;
}

const OPERATOR_ONLY = 'only the operator can change these fields';
const CONFIG_TENANT = "is defined in the deployment's config; change it there";

/** Issues as the API answers them: the path joined with dots (`routes.0.repository`). */
function issuesBody(issues: readonly ConfigIssue[]) {
  return {
    error: 'invalid tenant config',
    issues: issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  };
}

/** A new admin token: 32 random bytes, base64url. */
function newAdminToken(): string {
  let binary = '';
  for (const byte of crypto.getRandomValues(new Uint8Array(32))) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `If-Match: 3` or `If-Match: "3"`: the version the caller last read. */
function expectedVersion(c: Context): number | 'missing' | 'malformed' {
  const header = c.req.header('if-match');
  if (header === undefined || header.trim() === '') return 'missing';
  const match = /^\s*(?:"(\d{1,15})"|(\d{1,15}))\s*$/.exec(header);
  const text = match?.[1] ?? match?.[2];
  return text === undefined ? 'malformed' : Number(text);
}

/** The config of a tenant entry without its id, or the problems of the body's shape. */
function configOf(
  body: unknown,
  id: string | undefined,
): { id: string; config: Record<string, unknown> } | { issues: ConfigIssue[] } | 'not-an-object' {
  if (!isJsonObject(body)) return 'not-an-object';
  const { id: given, ...config } = body;
  const issues: ConfigIssue[] = [];
  if (id === undefined && !isTenantId(given))
    issues.push({
      path: ['id'],
      message:
        'a tenant id is required: letters, digits, - and _, at most 64, starting with a letter or digit',
    });
  if (id !== undefined && given !== undefined && given !== id)
    issues.push({ path: ['id'], message: `must be "${id}" (the tenant in the URL) or left out` });
  // A stored tenant's admin token is issued by this API and kept only as a hash.
  if ('adminToken' in config)
    issues.push({
      path: ['adminToken'],
      message: 'a tenant of the admin API gets its admin token from the API; leave adminToken out',
    });
  if (issues.length > 0) return { issues };
  return { id: id ?? (given as string), config };
}

const NOT_AN_OBJECT = "the body must be a JSON object: one entry of the config file's tenants: list";

/**
 * The admin API on the app: tenants as data (list, create, read, update, delete, a new admin token) and
 * a tenant's connection table, behind the deployment's operator token (and, for reading and changing
 * one tenant, that tenant's own admin token). Off (404, saying what is missing) without a directory or
 * without an operator token. Returns how its routes find and authorize a named tenant, when it is on.
 */
export function mountAdminApi(app: Hono, context: AdminApiContext): AdminApiAccess | undefined {
  const missing = [
    ...(context.operatorToken ? [] : ['no operator token is configured (server.operatorToken)']),
    ...(context.admin ? [] : ['the app was given no tenant directory']),
  ];
  const off = (c: Context) => c.json({ error: `the admin API is off: ${missing.join('; ')}` }, 404);
  app.use('/admin', async (c, next) => (missing.length > 0 ? off(c) : next()));
  app.use('/admin/*', async (c, next) => (missing.length > 0 ? off(c) : next()));
  const { registry, admin, security, store, operatorToken } = context;
  if (!admin || !operatorToken) return undefined;
  const { directory } = admin;
  const access: AdminApiAccess = { registry, directory, security, operatorToken };
  const locate = (id: string) => locateTenant(id, registry, directory, security);

  app.get('/admin/tenants', async (c) => {
    const caller = await authorizeAdminCall(c, security, operatorToken);
    if (caller instanceof Response) return caller;
    const stored = new Set(await directory.list());
    const ids = [...new Set([...(await registry.list()), ...stored])].sort();
    const tenants = [];
    for (const id of ids) {
      const located = await locate(id);
      if (!located) continue;
      tenants.push(
        located.origin === 'store'
          ? { id, origin: 'store' as const, version: located.stored.version }
          : { id, origin: 'config' as const },
      );
    }
    c.header('cache-control', 'no-store');
    return c.json({ tenants });
  });

  app.post('/admin/tenants', async (c) => {
    const caller = await authorizeAdminCall(c, security, operatorToken);
    if (caller instanceof Response) return caller;
    const body = await readJsonCapped(c.req.raw);
    if ('status' in body) return c.json({ error: body.error }, body.status);
    const entry = configOf(body.value, undefined);
    if (entry === 'not-an-object') return c.json({ error: NOT_AN_OBJECT }, 400);
    if ('issues' in entry) return c.json(issuesBody(entry.issues), 422);
    const { id, config } = entry;
    if ((await locate(id))?.origin === 'config')
      return c.json({ error: `tenant "${id}" ${CONFIG_TENANT}` }, 409);
    const issues = await admin.validate(id, config);
    if (issues.length > 0) return c.json(issuesBody(issues), 422);
    const adminToken = newAdminToken();
    const created = await directory.create(id, config, await sha256Hex(adminToken));
    if (created === 'exists') return c.json({ error: `tenant "${id}" exists` }, 409);
    admin.changed?.(id);
    security.logger.info('tenant created', { tenant: id, version: created.version });
    c.header('cache-control', 'no-store');
    return c.json({ id, version: created.version, adminToken }, 201);
  });

  app.all('/admin/tenants', (c) => methodNotAllowed(c, 'GET, POST'));

  const named = (c: Context, who: 'operator' | 'operator-or-admin') => namedTenant(c, access, who);

  app.get('/admin/tenants/:tenant', async (c) => {
    const found = await named(c, 'operator-or-admin');
    if (found instanceof Response) return found;
    const { located } = found;
    c.header('cache-control', 'no-store');
    if (located.origin === 'config') return c.json({ id: located.id, origin: 'config' });
    const { stored } = located;
    return c.json({ id: stored.id, origin: 'store', version: stored.version, config: stored.config });
  });

  app.put('/admin/tenants/:tenant', async (c) => {
    const found = await named(c, 'operator-or-admin');
    if (found instanceof Response) return found;
    const { located } = found;
    if (located.origin === 'config') return c.json({ error: `tenant "${located.id}" ${CONFIG_TENANT}` }, 409);
    const expected = expectedVersion(c);
    if (expected === 'missing')
      return c.json(
        { error: 'If-Match: <version> is required: read the tenant, change it, send its version back' },
        428,
      );
    if (expected === 'malformed')
      return c.json({ error: 'If-Match must be the version number the tenant was read at' }, 400);
    const stale = () => ({
      error: `the tenant changed since version ${expected}; read it again`,
      version: located.stored.version,
    });
    if (expected !== located.stored.version) return c.json(stale(), 412);
    const body = await readJsonCapped(c.req.raw);
    if ('status' in body) return c.json({ error: body.error }, body.status);
    const entry = configOf(body.value, located.id);
    if (entry === 'not-an-object') return c.json({ error: NOT_AN_OBJECT }, 400);
    if ('issues' in entry) return c.json(issuesBody(entry.issues), 422);
    if (found.caller !== 'operator') {
      const guarded = operatorOnlyChanges(located.stored.config, entry.config);
      if (guarded.length > 0) return c.json({ ...issuesBody(guarded), error: OPERATOR_ONLY }, 403);
    }
    const issues = await admin.validate(located.id, entry.config);
    if (issues.length > 0) return c.json(issuesBody(issues), 422);
    const updated = await directory.update(located.id, entry.config, expected);
    if (updated === 'absent') return c.json({ error: 'unknown tenant' }, 404);
    if (updated === 'conflict') {
      const current = await directory.get(located.id);
      return c.json(
        {
          error: `the tenant changed since version ${expected}; read it again`,
          version: current?.version ?? expected,
        },
        412,
      );
    }
    admin.changed?.(located.id);
    security.logger.info('tenant updated', {
      tenant: located.id,
      version: updated.version,
      by: found.caller,
    });
    return c.json({ id: located.id, version: updated.version });
  });

  app.delete('/admin/tenants/:tenant', async (c) => {
    const found = await named(c, 'operator');
    if (found instanceof Response) return found;
    const { located } = found;
    if (located.origin === 'config') return c.json({ error: `tenant "${located.id}" ${CONFIG_TENANT}` }, 409);
    if (!(await directory.remove(located.id))) return c.json({ error: 'unknown tenant' }, 404);
    try {
      await admin.removed?.(located.id);
    } finally {
      // Even when cleaning up failed, the tenant is gone from the directory: no instance may serve it.
      admin.changed?.(located.id);
    }
    security.logger.info('tenant removed', { tenant: located.id });
    return c.body(null, 204);
  });

  app.all('/admin/tenants/:tenant', (c) => methodNotAllowed(c, 'GET, PUT, DELETE'));

  app.post('/admin/tenants/:tenant/admin-token', async (c) => {
    const found = await named(c, 'operator');
    if (found instanceof Response) return found;
    const { located } = found;
    if (located.origin === 'config')
      return c.json({ error: `tenant "${located.id}" ${CONFIG_TENANT} (its adminToken)` }, 409);
    const adminToken = newAdminToken();
    const replaced = await directory.replaceAdminToken(located.id, await sha256Hex(adminToken));
    if (replaced === 'absent') return c.json({ error: 'unknown tenant' }, 404);
    // Sessions are keyed from the token's hash, so they end anyway; the epoch makes it explicit.
    await revokeAllSessions(store, located.id);
    admin.changed?.(located.id);
    security.logger.info('admin token replaced', { tenant: located.id });
    c.header('cache-control', 'no-store');
    return c.json({ adminToken });
  });

  app.all('/admin/tenants/:tenant/admin-token', (c) => methodNotAllowed(c, 'POST'));

  app.get('/admin/tenants/:tenant/connections', async (c) => {
    const found = await named(c, 'operator-or-admin');
    if (found instanceof Response) return found;
    const runtime = found.located.runtime;
    if (!runtime) return notRunning(c, found.located.id);
    const reports = await runtime.connections();
    const unconnected = unconnectedProviders(reports);
    const refusal = unconnected.length > 0 ? describeUnconnected(unconnected) : undefined;
    c.header('cache-control', 'no-store');
    return c.json({
      tenant: runtime.id,
      providers: reports.map((report) => ({
        provider: report.provider,
        role: report.role,
        ...report.status,
      })),
      ...(refusal ? { refusal } : {}),
    });
  });

  app.all('/admin/tenants/:tenant/connections', (c) => methodNotAllowed(c, 'GET'));
  return access;
}

/** A stored tenant whose runtime could not be built (its config no longer loads). */
export function notRunning(c: Context, id: string): Response {
  return c.json(
    {
      error: `tenant "${id}" is stored but could not be started; check its config (GET /admin/tenants/${id})`,
    },
    503,
  );
}

/** 405 with the methods the path takes. */
export function methodNotAllowed(c: Context, allow: string): Response {
  c.header('allow', allow);
  return c.json({ error: `method not allowed; this path takes ${allow}` }, 405);
}

/**
 * A registry that carries the admin API over its tenants (`admin`, as `createFactoryApp` takes it), as
 * `deploymentTenants` returns one: a runtime given such a registry mounts its admin API too.
 */
export interface AdministeredRegistry extends TenantRegistry {
  readonly admin?: AdminApiOptions;
}
