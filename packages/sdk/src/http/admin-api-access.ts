import type { Context } from 'hono';
import { errorMessage } from '../error-message.ts';
import { timingSafeEqual } from '../ingress/hmac.ts';
import { isTenantId } from '../ingress/tenants.ts';
import type { StoredTenant, TenantDirectory } from '../ports/tenant-directory.ts';
import type { TenantRegistry, TenantRuntime } from '../ports/tenant-runtime.ts';
import {
  adminTokenHashOf,
  checkCandidates,
  matchesTokenHash,
  OPERATOR_SCOPE,
  type TokenCandidate,
} from './admin-access.ts';
import { bearerOf, type HttpSecurity } from './http-security.ts';

/** Who called an admin route: the deployment's operator, or the named tenant's own admin. */
export type Caller = 'operator' | 'admin';

/** A tenant an admin route names, and where it was defined. */
export type LocatedTenant =
  | { origin: 'config'; id: string; runtime: TenantRuntime }
  | { origin: 'store'; id: string; stored: StoredTenant; runtime: TenantRuntime | undefined };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Finds a tenant by id. A tenant of the deployment's config wins over a stored one of the same id (the
 * registry serves the config's); a stored tenant is read from the directory, which is newer than any
 * cache, and is found even when its runtime cannot be built, so its config can still be fixed.
 */
export async function locateTenant(
  id: string,
  registry: TenantRegistry,
  directory: TenantDirectory,
  security: HttpSecurity,
): Promise<LocatedTenant | undefined> {
  if (!isTenantId(id)) return undefined;
  let runtime: TenantRuntime | undefined;
  try {
    runtime = await registry.get(id);
  } catch (error) {
    security.logger.warn('tenant could not be loaded', {
      tenant: id,
      error: errorMessage(error),
    });
  }
  // A runtime that does not say where it came from is one of a fixed set: the config's.
  if (runtime && runtime.origin !== 'store') return { origin: 'config', id, runtime };
  const stored = await directory.get(id);
  return stored ? { origin: 'store', id, stored, runtime } : undefined;
}

/** The SHA-256 of the located tenant's admin token, when it has a usable one. */
async function adminHashOf(located: LocatedTenant, security: HttpSecurity): Promise<string | undefined> {
  if (located.origin === 'store') {
    const sha256 = located.stored.adminTokenSha256.toLowerCase();
    return SHA256_HEX.test(sha256) ? sha256 : undefined;
  }
  const hash = await adminTokenHashOf(located.runtime, security);
  return 'sha256' in hash ? hash.sha256 : undefined;
}

/**
 * Who may call an admin route. Only a bearer token counts (no cookie: a page of another site cannot
 * make a browser send one). Every answer to a caller who is not let in is the same 401 whether the
 * tenant exists or not; a wrong token is counted under the operator's throttle, and under the tenant's
 * when the route also takes its admin token.
 */
export async function authorizeAdminCall(
  c: Context,
  security: HttpSecurity,
  operatorToken: string,
  tenant?: { located: LocatedTenant | undefined },
): Promise<Caller | Response> {
  const required = tenant ? 'an operator or admin token is required' : 'an operator token is required';
  const bearer = bearerOf(c);
  if (bearer === undefined) return c.json({ error: required }, 401);
  const candidates: TokenCandidate<Caller>[] = [
    { scope: OPERATOR_SCOPE, matches: (given) => timingSafeEqual(given, operatorToken), grants: 'operator' },
  ];
  const located = tenant?.located;
  const adminHash = located ? await adminHashOf(located, security) : undefined;
  if (located && adminHash)
    candidates.push({
      scope: located.id,
      matches: (given) => matchesTokenHash(given, adminHash),
      grants: 'admin',
    });
  const checked = await checkCandidates(c, security, bearer, candidates, 'json');
  if (checked.ok) return checked.grants;
  return checked.response ?? c.json({ error: tenant ? 'wrong token' : 'wrong operator token' }, 401);
}

/** What finding a named tenant for an admin route needs. */
export interface AdminApiAccess {
  registry: TenantRegistry;
  directory: TenantDirectory;
  security: HttpSecurity;
  operatorToken: string;
}

/**
 * Authorizes a call naming a tenant (`:tenant`), then finds it. An unknown tenant is told (404) only to
 * a caller let in, that is the operator: anyone else gets the 401 a wrong token gets.
 */
export async function namedTenant(
  c: Context,
  access: AdminApiAccess,
  who: 'operator' | 'operator-or-admin',
): Promise<{ caller: Caller; located: LocatedTenant } | Response> {
  const { registry, directory, security, operatorToken } = access;
  const id = c.req.param('tenant') ?? '';
  let located: LocatedTenant | undefined;
  let caller: Caller | Response;
  if (who === 'operator') {
    // Nothing is looked up for a caller who is not the operator.
    caller = await authorizeAdminCall(c, security, operatorToken);
    if (!(caller instanceof Response)) located = await locateTenant(id, registry, directory, security);
  } else {
    located = await locateTenant(id, registry, directory, security);
    caller = await authorizeAdminCall(c, security, operatorToken, { located });
  }
  if (caller instanceof Response) return caller;
  if (!located) return c.json({ error: 'unknown tenant' }, 404);
  return { caller, located };
}
