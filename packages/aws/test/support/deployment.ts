import {
  type ConnectionReport,
  type FactorySettingsInput,
  StaticTenantRegistry,
  type TenantRuntime,
  type WebhookSource,
} from '@software-factory/sdk';
import { FactoryHarness, FakeClock, MemoryLogger } from '@software-factory/sdk/testing';
import { DynamoRequestCounter } from '../../src/dynamo-request-counter.ts';
import { DynamoStateStore } from '../../src/dynamo-state-store.ts';
import { createLambdaHandlers } from '../../src/lambda-handlers.ts';
import type { LocalDynamo } from './local-dynamo.ts';
import { SignedTestSource } from './signed-test-source.ts';

export const WEBHOOK_SECRET = 'test-signing-secret-not-a-real-one';
/** The deployment-wide token that opens every tenant's detail at GET /healthz. */
export const OPERATOR_TOKEN = 'operator-token-of-the-lambda-tests-0001';

export interface TenantSpec {
  id: string;
  settings?: FactorySettingsInput;
  connections?: ConnectionReport[];
  sources?: WebhookSource[];
  adminToken?: string;
}

/**
 * One Lambda instance as the deployer would wire it: its own SDK client and DynamoStateStore on the
 * shared table, tenants over the core's fakes (tracker, chat, fleet), and the handlers.
 */
export function deployInstance(options: {
  dynamo: LocalDynamo;
  tableName: string;
  tenants: TenantSpec[];
  clock?: FakeClock;
  traceUrl?: string;
}) {
  const clock = options.clock ?? new FakeClock();
  const requests = new DynamoRequestCounter();
  const store = new DynamoStateStore({
    tableName: options.tableName,
    client: requests.attach(options.dynamo.client()),
  });
  const logger = new MemoryLogger();
  const harnesses = new Map<string, FactoryHarness>();
  const runtimes: TenantRuntime[] = options.tenants.map((spec) => {
    const harness = new FactoryHarness({
      tenant: spec.id,
      store,
      clock,
      ...(spec.settings ? { settings: spec.settings } : {}),
    });
    harnesses.set(spec.id, harness);
    const sources = spec.sources ?? [new SignedTestSource(WEBHOOK_SECRET)];
    return {
      id: spec.id,
      factory: harness.factory,
      sources: new Map(sources.map((source) => [source.source, source])),
      connections: async () => spec.connections ?? [],
      ...(spec.adminToken ? { adminToken: spec.adminToken } : {}),
    };
  });
  const registry = new StaticTenantRegistry(runtimes);
  const handlers = createLambdaHandlers({
    registry,
    store,
    version: 'test-version',
    clock,
    logger,
    operatorToken: OPERATOR_TOKEN,
    ...(options.traceUrl ? { traceUrl: options.traceUrl } : {}),
  });
  const harness = (id: string) => {
    const found = harnesses.get(id);
    if (!found) throw new Error(`no tenant ${id}`);
    return found;
  };
  return { handlers, store, requests, clock, logger, registry, harness };
}
