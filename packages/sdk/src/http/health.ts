import type { Hono } from 'hono';
import { errorMessage } from '../error-message.ts';
import { forEachTenant } from '../ingress/in-turns.ts';
import { describeUnconnected, unconnectedProviders } from '../ingress/unconnected-providers.ts';
import { readBreaker } from '../pipeline/breaker.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { TenantRegistry, TenantRuntime } from '../ports/tenant-runtime.ts';
import { adminAccess, operatorAccess } from './admin-access.ts';
import type { HttpSecurity } from './http-security.ts';

interface TenantHealth {
  id: string;
  processing: boolean;
  refusal?: string;
  fleet?: { circuit: string; retryAt: string };
  connections: { provider: string; role: string; state: string }[];
}

async function storeHealth(store: StateStore): Promise<{ ok: boolean; error?: string }> {
  try {
    await store.ping();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
}

async function tenantHealth(tenant: TenantRuntime): Promise<TenantHealth> {
  const reports = await tenant.connections();
  const unconnected = unconnectedProviders(reports);
  const refusal = unconnected.length > 0 ? describeUnconnected(unconnected) : undefined;
  const breaker = (await readBreaker(tenant.factory.ports.store, tenant.id).catch(() => undefined))?.value;
  return {
    id: tenant.id,
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
  };
}

/**
 * How long a tenant's connection check made for an anonymous `GET /healthz` answers the next anonymous
 * ones. A runtime reuses only an all-connected answer (a sign-in must show at once), so with a provider
 * refused each check calls every vendor again: without this, anyone's requests would become calls on
 * the tenant's tokens and spend its rate limits. Callers with a token always see a fresh check.
 */
export const ANONYMOUS_CHECK_REUSE_MS = 10_000;

/**
 * `GET /healthz`: for anyone, `{status, version}` and 503 when degraded; with the deployment's operator
 * token as a bearer, the store's state and every tenant's connections, refusal and fleet circuit.
 * `GET /t/:tenant/healthz`: the same detail for one tenant, behind its admin token.
 */
export function mountHealth(
  app: Hono,
  registry: TenantRegistry,
  store: StateStore,
  version: string,
  security: HttpSecurity,
): void {
  const anonymousChecks = new Map<string, { at: number; processing: Promise<{ processing: boolean }> }>();
  const anonymousCheck = (tenant: TenantRuntime) => {
    const now = security.clock.now();
    let last = anonymousChecks.get(tenant.id);
    if (!last || now - last.at >= ANONYMOUS_CHECK_REUSE_MS) {
      const processing = tenant.connections().then((reports) => ({
        processing: unconnectedProviders(reports).length === 0,
      }));
      last = { at: now, processing };
      anonymousChecks.set(tenant.id, last);
      // A check that failed is not reused: the next caller asks again.
      processing.catch(() => anonymousChecks.delete(tenant.id));
    }
    return last.processing;
  };

  app.get('/healthz', async (c) => {
    // The operator token's throttle and a registry of stored tenants read the store: with the store
    // down either may fail, and the answer is then the anonymous one (degraded, 503), never a 500.
    const access = await operatorAccess(c, security).catch(() => 'anonymous' as const);
    if (access instanceof Response) return access;
    const storeState = await storeHealth(store);
    // Anyone is told only whether every tenant is processing: no fleet circuit is read for them.
    const tenants = await forEachTenant(
      registry,
      access === 'anonymous' ? anonymousCheck : tenantHealth,
    ).catch(() => undefined);
    if (!tenants) return c.json({ status: 'degraded', version }, 503, { 'cache-control': 'no-store' });
    const ok = storeState.ok && tenants.every((tenant) => tenant.processing);
    const status = ok ? 'ok' : 'degraded';
    c.header('cache-control', 'no-store');
    if (access === 'anonymous') return c.json({ status, version }, ok ? 200 : 503);
    return c.json({ status, version, store: storeState, tenants }, ok ? 200 : 503);
  });

  app.get('/t/:tenant/healthz', async (c) => {
    // Who may see a tenant's detail is stored (its admin token, its throttle): unreadable, it is degraded.
    const granted = await adminAccess(c, registry, security, 'json').catch(() => undefined);
    if (!granted) return c.json({ status: 'degraded', version }, 503, { 'cache-control': 'no-store' });
    if ('response' in granted) return granted.response;
    const storeState = await storeHealth(store);
    const tenant = await tenantHealth(granted.tenant);
    const ok = storeState.ok && tenant.processing;
    c.header('cache-control', 'no-store');
    return c.json({ status: ok ? 'ok' : 'degraded', version, store: storeState, tenant }, ok ? 200 : 503);
  });
}
