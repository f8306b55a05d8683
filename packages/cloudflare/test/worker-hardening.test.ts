import { createExecutionContext, env } from 'cloudflare:test';
import { StaticTenantRegistry } from '@software-factory/sdk';
import { describe, expect, it } from 'vitest';
import { createFactoryWorker } from '../src/index.ts';
import { freshTenant, workerScenario } from './support/worker-scenario.ts';

// Issue #19 through the Worker: what strangers see, and whose address is throttled.

const ADMIN_TOKEN = 'admin-token-of-the-worker-hardening-01';
const OPERATOR_TOKEN = 'operator-token-of-the-worker-tests-0001';

describe('the Worker behind Cloudflare', () => {
  it('tells anyone only status and version at /healthz, and the operator token every tenant', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario(
      [
        {
          id: tenant,
          connections: [
            { provider: 'chat', role: 'clarification', status: { state: 'needs-auth', reason: 'no token' } },
          ],
        },
      ],
      { operatorToken: OPERATOR_TOKEN },
    );
    const anonymous = await scenario.fetch(new Request('https://factory.example/healthz'));
    expect(anonymous.status).toBe(503);
    expect(await anonymous.json()).toEqual({ status: 'degraded', version: 'test' });
    const operator = await scenario.fetch(
      new Request('https://factory.example/healthz', {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      }),
    );
    expect(operator.status).toBe(503);
    const body = (await operator.json()) as { tenants: { id: string; refusal: string }[] };
    expect(body.tenants[0]?.id).toBe(tenant);
    expect(body.tenants[0]?.refusal).toMatch(/^chat \(\w+\) needs authorisation/);
    expect(body.tenants[0]?.refusal).not.toContain('factory connect');
  });

  it('throttles wrong admin tokens by CF-Connecting-IP, whatever X-Forwarded-For says', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant, adminToken: ADMIN_TOKEN }]);
    const statusJson = (address: string, token: string, forwardedFor: string) =>
      scenario.fetch(
        new Request(`https://factory.example/t/${tenant}/status.json`, {
          headers: {
            authorization: `Bearer ${token}`,
            'cf-connecting-ip': address,
            'x-forwarded-for': forwardedFor,
          },
        }),
      );
    for (let n = 0; n < 6; n++)
      expect((await statusJson('198.51.100.5', 'wrong-token', `192.0.2.${n}`)).status).toBe(401);
    const blocked = await statusJson('198.51.100.5', ADMIN_TOKEN, '192.0.2.99');
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('1');
    expect((await statusJson('198.51.100.6', ADMIN_TOKEN, '192.0.2.99')).status).toBe(200);
  });

  it('sets the session cookie Secure: the Worker is reached over https', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant, adminToken: ADMIN_TOKEN }]);
    const login = await scenario.fetch(
      new Request(`https://factory.example/t/${tenant}/login`, {
        method: 'POST',
        body: new URLSearchParams({ token: ADMIN_TOKEN }),
        headers: { origin: 'https://factory.example', 'cf-connecting-ip': '198.51.100.7' },
      }),
    );
    expect(login.status).toBe(303);
    expect(login.headers.get('set-cookie')).toContain('Secure');
  });

  it('refuses an operator secret shorter than 32 characters as a misconfiguration', async () => {
    const worker = createFactoryWorker({ tenants: () => new StaticTenantRegistry([]) });
    const response = await worker.fetch(
      new Request('https://factory.example/healthz') as Request<unknown, IncomingRequestCfProperties>,
      { ...env, FACTORY_OPERATOR_TOKEN: 'too-short' },
      createExecutionContext(),
    );
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: string }).error).toContain(
      'the operator token (secret FACTORY_OPERATOR_TOKEN) must be at least 32 characters long',
    );
  });
});
