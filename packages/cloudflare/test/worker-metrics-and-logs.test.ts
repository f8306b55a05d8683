import { consoleJsonLogger } from '@software-factory/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freshTenant, SIGNING_SECRET, workerScenario } from './support/worker-scenario.ts';

const OPERATOR_TOKEN = 'operator-token-of-the-worker-metrics-test-1';
const ADMIN_TOKEN = 'admin-token-of-the-worker-metrics-test-00001';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The Worker with the core's console logger, told the secrets a generated entry resolves from its bindings. */
async function loggedWorker() {
  const printed: string[] = [];
  for (const method of ['log', 'warn', 'error'] as const)
    vi.spyOn(console, method).mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
  const logger = consoleJsonLogger({ level: 'debug', fields: { component: 'factory-worker' } });
  logger.addSecrets([SIGNING_SECRET, ADMIN_TOKEN]);
  const tenant = freshTenant();
  const scenario = workerScenario([{ id: tenant, adminToken: ADMIN_TOKEN }], {
    operatorToken: OPERATOR_TOKEN,
    logger,
  });
  return { scenario, tenant, printed, h: await scenario.harness(tenant) };
}

describe('the Worker in workerd, after a full run', () => {
  it('serves /metrics with what happened, and its console logs hold no token or secret', async () => {
    const { scenario, tenant, printed, h } = await loggedWorker();
    // The tracker refuses once, quoting the signing secret in its error, as a vendor quoting a token would.
    const setState = h.tracker.setState.bind(h.tracker);
    let refusals = 1;
    h.tracker.setState = async (...args) => {
      if (refusals-- > 0) throw new Error(`403 from the tracker: secret ${SIGNING_SECRET} not accepted`);
      return setState(...args);
    };
    const item = h.vagueItem('item-1');
    await scenario.deliver(tenant, 'delivery-1', [h.changed(item)]);
    const threadId = h.chat.threadFor('item-1') ?? '';
    h.clock.advance(3_600_000);
    const reply = {
      type: 'clarification.replied' as const,
      threadId,
      messageId: 'm-1',
      author: { id: 'pm', trusted: true, reason: 'a member of the channel' },
      text: 'The export command should accept --json and print the rows as a JSON array; keep the table as is.',
    };
    // The refusal leaves an effect: the sender is asked to retry, and its retry finishes the dispatch.
    expect((await scenario.deliver(tenant, 'delivery-2', [reply])).status).toBe(503);
    h.clock.advance(60_000);
    expect((await scenario.deliver(tenant, 'delivery-2', [reply])).status).toBe(200);
    h.clock.advance(1_800_000);
    expect((await scenario.deliver(tenant, 'delivery-3', [h.output(item, 'ready')])).status).toBe(200);
    expect((await scenario.store.getRecord(tenant, 'item-1'))?.status).toBe('done');

    const scraped = await scenario.fetch(
      new Request('https://factory.example/metrics', {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      }),
    );
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    const t = `tenant="${tenant}"`;
    expect(text).toContain(`factory_webhook_deliveries_total{${t},source="test",status="200"} 3`);
    expect(text).toContain(`factory_webhook_deliveries_total{${t},source="test",status="503"} 1`);
    expect(text).toContain(`factory_events_total{${t},event="work-item.changed",outcome="changed"} 1`);
    expect(text).toContain(`factory_events_total{${t},event="clarification.replied",outcome="incomplete"} 1`);
    expect(text).toContain(`factory_events_total{${t},event="output.changed",outcome="changed"} 1`);
    expect(text).toContain(`factory_effects_total{${t},kind="open-thread",result="ok"} 1`);
    expect(text).toContain(`factory_effects_total{${t},kind="set-state",result="failed"} 1`);
    expect(text).toContain(`factory_effects_total{${t},kind="spawn",result="ok"} 1`);
    expect(text).toContain(`factory_agent_run_duration_seconds_count{${t},outcome="done"} 1`);
    expect(text).toContain(`factory_waiting_clarification{${t}} 0`);

    for (const headers of [
      {},
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      { authorization: 'Bearer nope' },
    ] as Record<string, string>[]) {
      const refused = await scenario.fetch(new Request('https://factory.example/metrics', { headers }));
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain('factory_');
    }

    const logs = printed.join('\n');
    expect(logs).toContain('effect failed');
    expect(logs).toContain('[redacted]');
    for (const secret of [OPERATOR_TOKEN, ADMIN_TOKEN, SIGNING_SECRET]) expect(logs).not.toContain(secret);
    const lines = printed.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of lines)
      expect(line).toMatchObject({
        time: expect.any(String),
        level: expect.any(String),
        msg: expect.any(String),
      });
    const itemLines = lines.filter((line) => line.workItemId === 'item-1');
    expect(itemLines.length).toBeGreaterThan(0);
    for (const line of itemLines) expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
