import {
  createExecutionContext,
  createScheduledController,
  env,
  SELF,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { TestWebhookSource } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import fixture from './fixtures/scheduled-controller.DERIVED.json' with { type: 'json' };
import worker, {
  DEPLOYED_OPERATOR_TOKEN,
  DEPLOYED_SECRET,
  DEPLOYED_TENANT,
  deployed,
} from './worker/main.ts';

describe('the deployed Worker entry, reached through workerd', () => {
  it('answers /healthz: status and version for anyone, the store and its tenants for the operator', async () => {
    const anonymous = await SELF.fetch('https://factory.example/healthz');
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ status: 'ok', version: 'test-main' });
    const response = await SELF.fetch('https://factory.example/healthz', {
      headers: { authorization: `Bearer ${DEPLOYED_OPERATOR_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      version: 'test-main',
      store: { ok: true },
      tenants: [{ id: DEPLOYED_TENANT, processing: true, connections: [] }],
    });
  });

  it('dispatches a signed work item delivered over HTTP', async () => {
    await SELF.fetch('https://factory.example/healthz');
    const h = deployed.harness;
    if (!h) throw new Error('the Worker did not build its tenants');
    const item = h.clearItem(`item-${crypto.randomUUID()}`);
    const body = JSON.stringify({ id: crypto.randomUUID(), events: [h.changed(item)] });
    const response = await SELF.fetch(`https://factory.example/t/${DEPLOYED_TENANT}/webhooks/test`, {
      method: 'POST',
      body,
      headers: await TestWebhookSource.sign(DEPLOYED_SECRET, body, Date.now()),
    });
    expect(response.status).toBe(200);
    expect(h.fleet.agentsFor(item.id)).toHaveLength(1);
  });

  it("runs the tick from the entry's scheduled handler, and the tick finds work the fetch path left", async () => {
    await SELF.fetch('https://factory.example/healthz');
    const h = deployed.harness;
    if (!h) throw new Error('the Worker did not build its tenants');
    const item = h.clearItem(`item-${crypto.randomUUID()}`);
    const body = JSON.stringify({ id: crypto.randomUUID(), events: [h.changed(item)] });
    await SELF.fetch(`https://factory.example/t/${DEPLOYED_TENANT}/webhooks/test`, {
      method: 'POST',
      body,
      headers: await TestWebhookSource.sign(DEPLOYED_SECRET, body, Date.now()),
    });
    const [agentId] = h.fleet.agentsFor(item.id);
    h.fleet.exit(agentId ?? '', 0);

    // The harness clock stands still unless moved: move it past the agent check.
    h.clock.advance(h.factory.settings.agents.checkInterval);
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: fixture.cron, scheduledTime: fixture.scheduledTime }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect((await h.record(item.id))?.dispatch?.exitedAt).toBe(h.clock.now());
  });
});
