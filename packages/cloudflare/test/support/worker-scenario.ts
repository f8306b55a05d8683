import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import {
  type ConnectionReport,
  createFactory,
  type FactoryEvent,
  type FactorySettingsInput,
  type Logger,
  StaticTenantRegistry,
  type TenantRuntime,
} from '@software-factory/sdk';
import { FactoryHarness, FakeClock, MemoryLogger, TestWebhookSource } from '@software-factory/sdk/testing';
import { createFactoryWorker, DurableObjectStateStore, KvIndexCache } from '../../src/index.ts';

export const SIGNING_SECRET = 'cloudflare-test-signing-secret';

let tenantCounter = 0;
/** A tenant id no other test uses: every test gets an empty Durable Object. */
export function freshTenant(prefix = 'acme'): string {
  tenantCounter += 1;
  return `${prefix}-${tenantCounter}-${crypto.randomUUID().slice(0, 8)}`;
}

export interface ScenarioTenant {
  id: string;
  settings?: FactorySettingsInput;
  connections?: ConnectionReport[];
  adminToken?: string;
  /** Makes the test source ask for an answer within this many ms (as Slack and Linear do). */
  answerWithinMs?: number;
}

/** The core's signed test source, made to answer within a deadline like a chat or tracker source. */
class DeadlineTestSource extends TestWebhookSource {
  readonly answerWithinMs: number;
  constructor(secret: string, answerWithinMs: number) {
    super(secret);
    this.answerWithinMs = answerWithinMs;
  }
}

/**
 * Tenants over the core's fakes of every role (the fleet is `FakeFleet`) whose state lives in the
 * real Durable Object namespace and KV namespace of this workerd, behind the Worker exactly as a
 * deployer wires it with `createFactoryWorker`.
 */
export function workerScenario(
  tenants: ScenarioTenant[] = [{ id: freshTenant() }],
  options: { operatorToken?: string; traceUrl?: string; logger?: Logger; assetsBinding?: string } = {},
) {
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const workerLogger = options.logger ?? logger;
  const harnesses = new Map<string, FactoryHarness>();
  const worker = createFactoryWorker({
    version: 'test',
    clock,
    logger: workerLogger,
    operatorToken: () => options.operatorToken,
    ...(options.traceUrl ? { traceUrl: options.traceUrl } : {}),
    ...(options.assetsBinding ? { assetsBinding: options.assetsBinding } : {}),
    tenants: ({ store, metrics }) =>
      new StaticTenantRegistry(
        tenants.map((tenant): TenantRuntime => {
          const harness = new FactoryHarness({
            tenant: tenant.id,
            store,
            clock,
            ...(tenant.settings ? { settings: tenant.settings } : {}),
          });
          harnesses.set(tenant.id, harness);
          return {
            id: tenant.id,
            // The harness's fakes, counted in the Worker's metrics as a deployer's factory would be.
            factory: createFactory({
              tenant: tenant.id,
              settings: harness.factory.settings,
              // A test of what the Worker logs gives its logger to the factories too.
              ports: options.logger
                ? { ...harness.factory.ports, logger: workerLogger }
                : harness.factory.ports,
              metrics,
            }),
            sources: new Map([
              [
                'test',
                tenant.answerWithinMs === undefined
                  ? new TestWebhookSource(SIGNING_SECRET)
                  : new DeadlineTestSource(SIGNING_SECRET, tenant.answerWithinMs),
              ],
            ]),
            ...(tenant.adminToken ? { adminToken: tenant.adminToken } : {}),
            connections: async () =>
              tenant.connections ?? [
                { provider: 'fake-tracker', role: 'intake', status: { state: 'connected' } },
              ],
          };
        }),
      ),
  });
  // The store a second Worker isolate would build: the same objects, reached independently.
  const store = new DurableObjectStateStore(env.FACTORY_STATE, {
    indexCache: new KvIndexCache(env.FACTORY_CACHE),
  });

  async function fetch(request: Request): Promise<Response> {
    const ctx = createExecutionContext();
    // Requests built in a test lack the `cf` object Cloudflare's edge attaches; the factory never reads it.
    const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, env, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }

  /** A webhook signed as the sender would sign it now. */
  async function signedRequest(tenant: string, deliveryId: string, events: FactoryEvent[]): Promise<Request> {
    const body = JSON.stringify({ id: deliveryId, events });
    return new Request(`https://factory.example/t/${tenant}/webhooks/test`, {
      method: 'POST',
      body,
      headers: await TestWebhookSource.sign(SIGNING_SECRET, body, clock.now()),
    });
  }

  async function deliver(tenant: string, deliveryId: string, events: FactoryEvent[]): Promise<Response> {
    return fetch(await signedRequest(tenant, deliveryId, events));
  }

  /**
   * The core's fakes for a tenant. Built with the Worker's runtime on its first request, so a test
   * that needs one before sending anything asks for it through here.
   */
  async function harness(tenant: string): Promise<FactoryHarness> {
    if (!harnesses.has(tenant)) await fetch(new Request('https://factory.example/healthz'));
    const found = harnesses.get(tenant);
    if (!found) throw new Error(`no tenant ${tenant} in this scenario`);
    return found;
  }

  return { worker, clock, logger, store, fetch, signedRequest, deliver, harness };
}
