import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import fixture from './fixtures/scheduled-controller.DERIVED.json' with { type: 'json' };
import { freshTenant, workerScenario } from './support/worker-scenario.ts';

const DAY = 86_400_000;

async function runCron(worker: ReturnType<typeof workerScenario>['worker']): Promise<void> {
  const controller = createScheduledController({ cron: fixture.cron, scheduledTime: fixture.scheduledTime });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}

describe('the Cron Trigger (scheduled) runs the tick for every tenant', () => {
  it('reminds in an unanswered thread, then gives up and fails the item', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([{ id: tenant }]);
    const h = await scenario.harness(tenant);
    await scenario.deliver(tenant, 'delivery-1', [h.changed(h.vagueItem('item-1'))]);
    const threadId = h.chat.threadFor('item-1') ?? '';

    await runCron(scenario.worker);
    expect(h.chat.threads.get(threadId)?.replies).toHaveLength(0);

    h.clock.advance(DAY);
    await runCron(scenario.worker);
    expect(h.chat.threads.get(threadId)?.replies).toHaveLength(1);
    expect((await scenario.store.getRecord(tenant, 'item-1'))?.clarification?.reminded).toBe(true);

    h.clock.advance(DAY);
    await runCron(scenario.worker);
    expect((await scenario.store.getRecord(tenant, 'item-1'))?.status).toBe('failed');
    expect(scenario.logger.lines.filter((line) => line.message === 'tick ran')).toHaveLength(3);
    expect(scenario.logger.lines.at(-1)?.fields).toMatchObject({ tenant, cron: fixture.cron });
  });

  it('retries an agent that died and drains the queue into the freed slot', async () => {
    const tenant = freshTenant();
    const scenario = workerScenario([
      {
        id: tenant,
        settings: {
          routes: [{ name: 'app', match: { labels: ['factory'] }, repository: 'acme/app', agent: 'coder' }],
          limits: { maxInFlight: 1 },
        },
      },
    ]);
    const h = await scenario.harness(tenant);
    await scenario.deliver(tenant, 'delivery-1', [h.changed(h.clearItem('item-1'))]);
    h.clock.advance(1);
    await scenario.deliver(tenant, 'delivery-2', [h.changed(h.clearItem('item-2'))]);
    expect((await scenario.store.getRecord(tenant, 'item-2'))?.status).toBe('queued');

    const [firstAgent] = h.fleet.agentsFor('item-1');
    h.fleet.exit(firstAgent ?? '', 1);
    h.clock.advance(h.factory.settings.agents.checkInterval);
    await runCron(scenario.worker);

    // The dead agent's slot went to the item that waited longest; item-1 waits for its retry.
    expect((await scenario.store.getRecord(tenant, 'item-1'))?.status).toBe('queued');
    expect((await scenario.store.getRecord(tenant, 'item-2'))?.status).toBe('dispatched');
    expect(h.fleet.running()).toHaveLength(1);
  });

  it('skips a tenant whose provider needs authorisation and still ticks the others', async () => {
    const [broken, healthy] = [freshTenant('broken'), freshTenant('healthy')];
    const scenario = workerScenario([
      {
        id: broken,
        connections: [
          {
            provider: 'fake-tracker',
            role: 'intake',
            status: { state: 'needs-auth', reason: 'token revoked' },
          },
        ],
      },
      { id: healthy },
    ]);
    await runCron(scenario.worker);

    const lines = scenario.logger.lines.filter((line) => line.message.startsWith('tick'));
    expect(lines.map((line) => [line.message, line.fields.tenant])).toEqual([
      ['tick refused', broken],
      ['tick ran', healthy],
    ]);
    expect(String(lines[0]?.fields.reason)).toContain('fake-tracker (intake) needs authorisation');
  });
});
