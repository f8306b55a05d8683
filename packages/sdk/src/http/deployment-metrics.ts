import type { Hono } from 'hono';
import { forEachTenant } from '../ingress/in-turns.ts';
import type { TenantRegistry } from '../ports/tenant-runtime.ts';
import type { FactoryMetrics } from '../status/metrics.ts';
import { tenantStatus } from '../status/tenant-status.ts';
import { checkToken, OPERATOR_SCOPE } from './admin-access.ts';
import { bearerOf, type HttpSecurity } from './http-security.ts';

const EXPOSITION = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `GET /metrics`: every tenant's families in one Prometheus exposition, behind the deployment's operator
 * token as a bearer (the tenants' own tokens open only `/t/:tenant/metrics`). Off (404) without an
 * operator token; 401 without a bearer or with a wrong one, and nothing about any tenant.
 */
export function mountDeploymentMetrics(
  app: Hono,
  registry: TenantRegistry,
  metrics: FactoryMetrics,
  security: HttpSecurity,
): void {
  app.get('/metrics', async (c) => {
    if (!security.operatorToken)
      return c.text('the deployment metrics are off: no operator token is configured\n', 404);
    const bearer = bearerOf(c);
    if (bearer === undefined) return c.text('the operator token is required\n', 401);
    const checked = await checkToken(c, security, OPERATOR_SCOPE, bearer, security.operatorToken, 'text');
    if (!checked.ok) return checked.response ?? c.text('wrong operator token\n', 401);
    const entries = await forEachTenant(registry, async (tenant) => {
      const { store, clock } = tenant.factory.ports;
      return {
        tenant: tenant.id,
        status: await tenantStatus(store, tenant.id, await tenant.connections(), clock.now()),
      };
    });
    return c.text(metrics.renderAll(entries), 200, {
      'content-type': EXPOSITION,
      'cache-control': 'no-store',
    });
  });
}
