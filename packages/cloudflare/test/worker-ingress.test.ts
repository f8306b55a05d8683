import { describe, expect, it } from 'vitest';
import { freshTenant, type ScenarioTenant, workerScenario } from './support/worker-scenario.ts';

describe('bad requests through the Worker get a clear 4xx and change nothing', () => {
  async function setup(connections?: ScenarioTenant['connections']) {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant, ...(connections ? { connections } : {}) }]);
    const h = await scenario.harness(tenant);
    const unchanged = async () => {
      expect((await scenario.store.listRecords(tenant)).records).toEqual([]);
      expect(h.fleet.spawnCalls).toBe(0);
    };
    return { tenant, scenario, h, unchanged };
  }

  it('an unknown tenant is 404', async () => {
    const { scenario, h, unchanged } = await setup();
    const response = await scenario.deliver(freshTenant('nobody'), 'd-1', [h.changed(h.clearItem('item-1'))]);
    expect(response.status).toBe(404);
    await unchanged();
  });

  it('a body signed with another secret is 401', async () => {
    const { tenant, scenario, h, unchanged } = await setup();
    const request = await scenario.signedRequest(tenant, 'd-1', [h.changed(h.clearItem('item-1'))]);
    const forged = new Request(request, {
      headers: { ...Object.fromEntries(request.headers), 'x-test-signature': 'sha256=00' },
    });
    expect((await scenario.fetch(forged)).status).toBe(401);
    await unchanged();
  });

  it('a webhook path asked with GET is 405', async () => {
    const { tenant, scenario, unchanged } = await setup();
    const response = await scenario.fetch(new Request(`https://factory.example/t/${tenant}/webhooks/test`));
    expect(response.status).toBe(405);
    await unchanged();
  });

  it('a tenant whose tracker needs authorisation answers 503, so the sender retries later', async () => {
    const { tenant, scenario, h, unchanged } = await setup([
      { provider: 'fake-tracker', role: 'intake', status: { state: 'needs-auth', reason: 'revoked' } },
    ]);
    const response = await scenario.deliver(tenant, 'd-1', [h.changed(h.clearItem('item-1'))]);
    expect(response.status).toBe(503);
    await unchanged();
  });
});
