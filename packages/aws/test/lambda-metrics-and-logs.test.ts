// biome-ignore-all lint/suspicious/noTemplateCurlyInString: references are written ${…} literally.
import {
  consoleJsonLogger,
  resolvedSecretValues,
  resolveSecretReferences,
  StaticTenantRegistry,
} from '@software-factory/sdk';
import { DEFAULT_TEST_SETTINGS, FactoryHarness, FakeClock } from '@software-factory/sdk/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoStateStore } from '../src/dynamo-state-store.ts';
import { createLambdaHandlers } from '../src/lambda-handlers.ts';
import { asHttpApiEvent } from './support/lambda-events.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';
import { SignedTestSource, signTestWebhook } from './support/signed-test-source.ts';

/** The function's environment, as a deployment's references resolve it. */
const ENV = {
  WEBHOOK_SECRET: 'webhook-secret-of-the-lambda-metrics-test',
  FACTORY_OPERATOR_TOKEN: 'operator-token-of-the-lambda-metrics-test-01',
  ADMIN_TOKEN: 'admin-token-of-the-lambda-metrics-test-000001',
};
const TEMPLATE = {
  server: { operatorToken: '${FACTORY_OPERATOR_TOKEN}' },
  tenants: [{ id: 'acme', webhookSecret: '${WEBHOOK_SECRET}', adminToken: '${ADMIN_TOKEN}' }],
};

let dynamo: LocalDynamo;
let tableName: string;
const printed: string[] = [];

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable();
});
afterAll(() => dynamo.close());
afterEach(() => {
  vi.restoreAllMocks();
  printed.length = 0;
});

/** A Lambda instance wired as the generated entry wires it: secrets resolved, then scrubbed from its console logs. */
async function lambdaInstance() {
  for (const method of ['log', 'warn', 'error'] as const)
    vi.spyOn(console, method).mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
  const resolved = await resolveSecretReferences(TEMPLATE, async (reference) => {
    const value = ENV[reference.locator as keyof typeof ENV];
    if (!value) throw new Error(`no ${reference.text}`);
    return value;
  });
  const logger = consoleJsonLogger({ level: 'debug' });
  logger.addSecrets(resolvedSecretValues(TEMPLATE, resolved));
  const [tenant] = resolved.tenants;
  const clock = new FakeClock();
  const store = new DynamoStateStore({ tableName, client: dynamo.client() });
  let harness: FactoryHarness | undefined;
  const handlers = createLambdaHandlers({
    store,
    version: 'test-version',
    clock,
    logger,
    operatorToken: resolved.server.operatorToken,
    registry: ({ metrics }) => {
      harness = new FactoryHarness({
        tenant: 'acme',
        store,
        clock,
        metrics,
        logger,
        settings: DEFAULT_TEST_SETTINGS,
      });
      const source = new SignedTestSource(tenant?.webhookSecret ?? '');
      return new StaticTenantRegistry([
        {
          id: 'acme',
          factory: harness.factory,
          sources: new Map([[source.source, source]]),
          connections: async () => [],
          adminToken: tenant?.adminToken ?? '',
        },
      ]);
    },
  });
  const deliver = async (deliveryId: string, body: object) => {
    const text = JSON.stringify({ deliveryId, ...body });
    const headers = await signTestWebhook(ENV.WEBHOOK_SECRET, text, clock.now());
    return handlers.http(
      asHttpApiEvent({ method: 'POST', path: '/t/acme/webhooks/test', headers, body: text }),
    );
  };
  const get = (path: string, headers: Record<string, string> = {}) =>
    handlers.http(asHttpApiEvent({ method: 'GET', path, headers }));
  // The handlers build the tenants at the first invocation.
  await get('/healthz');
  if (!harness) throw new Error('the registry was not built');
  return { handlers, deliver, get, clock, h: harness };
}

describe('the Lambda handlers against DynamoDB (dynalite)', () => {
  it('serve /metrics after a full run with what happened, and log no token or secret', async () => {
    const { deliver, get, clock, h } = await lambdaInstance();
    // The tracker refuses once, quoting the webhook secret in its error, as a vendor quoting a token would.
    const setState = h.tracker.setState.bind(h.tracker);
    let refusals = 1;
    h.tracker.setState = async (...args) => {
      if (refusals-- > 0) throw new Error(`403 from the tracker: secret ${ENV.WEBHOOK_SECRET} not accepted`);
      return setState(...args);
    };
    const item = h.clearItem('item-1');
    const first = await deliver('d-1', { item });
    // Saved, an effect left: the sender is asked to retry, and its retry finishes the effects.
    expect(first.statusCode).toBe(503);
    clock.advance(60_000);
    expect((await deliver('d-1', { item })).statusCode).toBe(200);
    expect((await h.store.getRecord('acme', 'item-1'))?.dispatch?.agentId).toBeDefined();
    clock.advance(1_800_000); // the agent ran 31 minutes since its dispatch, the refused minute included
    expect((await deliver('d-3', { events: [h.output(item, 'ready')] })).statusCode).toBe(200);
    expect((await h.store.getRecord('acme', 'item-1'))?.status).toBe('done');

    const scraped = await get('/metrics', { authorization: `Bearer ${ENV.FACTORY_OPERATOR_TOKEN}` });
    expect(scraped.statusCode).toBe(200);
    const text = scraped.body;
    expect(text).toContain('factory_webhook_deliveries_total{tenant="acme",source="test",status="503"} 1');
    expect(text).toContain('factory_webhook_deliveries_total{tenant="acme",source="test",status="200"} 2');
    expect(text).toContain(
      'factory_events_total{tenant="acme",event="work-item.changed",outcome="incomplete"} 1',
    );
    expect(text).toContain('factory_events_total{tenant="acme",event="output.changed",outcome="changed"} 1');
    expect(text).toContain('factory_effects_total{tenant="acme",kind="set-state",result="failed"} 1');
    expect(text).toContain('factory_effects_total{tenant="acme",kind="spawn",result="ok"} 1');
    expect(text).toMatch(
      /factory_provider_call_errors_total\{tenant="acme",port="workItems",provider="[^"]*",operation="setState"\} 1/,
    );
    expect(text).toContain('factory_agent_run_duration_seconds_sum{tenant="acme",outcome="done"} 1860');

    for (const headers of [
      {},
      { authorization: `Bearer ${ENV.ADMIN_TOKEN}` },
      { authorization: 'Bearer wrong' },
    ] as Record<string, string>[]) {
      const refused = await get('/metrics', headers);
      expect(refused.statusCode).toBe(401);
      expect(refused.body).not.toContain('factory_');
    }

    const logs = printed.join('\n');
    expect(logs).toContain('effect failed');
    expect(logs).toContain('[redacted]');
    for (const secret of Object.values(ENV)) expect(logs).not.toContain(secret);
    for (const line of printed)
      expect(JSON.parse(line)).toMatchObject({
        time: expect.any(String),
        level: expect.any(String),
        msg: expect.any(String),
      });
    const itemLines = printed
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.workItemId === 'item-1');
    expect(itemLines.length).toBeGreaterThan(0);
    for (const line of itemLines) expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
