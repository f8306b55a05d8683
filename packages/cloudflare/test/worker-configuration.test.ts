import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { StaticTenantRegistry, type TenantRegistry } from '@software-factory/sdk';
import { MemoryLogger } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import { createFactoryWorker, FactoryConfigError, type FactoryWorkerOptions } from '../src/index.ts';

type AnyEnv = Record<string, unknown>;

async function healthz(worker: ReturnType<typeof createFactoryWorker<AnyEnv>>, bindings: AnyEnv) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request('https://factory.example/healthz') as Request<unknown, IncomingRequestCfProperties>,
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as { error?: string; status?: string } };
}

function workerWith(options: Partial<FactoryWorkerOptions<AnyEnv>> = {}) {
  const logger = new MemoryLogger();
  const worker = createFactoryWorker<AnyEnv>({
    logger,
    tenants: () => new StaticTenantRegistry([]),
    ...options,
  });
  return { worker, logger };
}

describe('the Worker refuses a wrong deployment with a clear error', () => {
  it('names a missing Durable Object binding', async () => {
    const { worker, logger } = workerWith();
    const answer = await healthz(worker, { FACTORY_CACHE: env.FACTORY_CACHE });
    expect(answer.status).toBe(500);
    expect(answer.body.error).toContain('binding "FACTORY_STATE" must be a Durable Object namespace');
    expect(logger.lines[0]).toMatchObject({ level: 'error', message: 'factory worker is misconfigured' });
  });

  it('names a Durable Object binding that is something else', async () => {
    const { worker } = workerWith();
    const answer = await healthz(worker, { FACTORY_STATE: env.FACTORY_CACHE });
    expect(answer.body.error).toContain('binding "FACTORY_STATE" must be a Durable Object namespace');
  });

  it('names a renamed state binding that is not bound', async () => {
    const { worker } = workerWith({ stateBinding: 'TENANT_STATE' });
    const answer = await healthz(worker, { FACTORY_STATE: env.FACTORY_STATE });
    expect(answer.body.error).toContain('binding "TENANT_STATE"');
  });

  it('names a cache binding that is not a KV namespace, and ignores it when the cache is off', async () => {
    const wrong = { FACTORY_STATE: env.FACTORY_STATE, FACTORY_CACHE: env.FACTORY_STATE };
    const answer = await healthz(workerWith().worker, wrong);
    expect(answer.status).toBe(500);
    expect(answer.body.error).toContain('binding "FACTORY_CACHE" must be a KV namespace');

    const off = await healthz(workerWith({ cacheBinding: false }).worker, wrong);
    expect(off).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
  });

  it('works without a KV namespace: the cache is optional', async () => {
    const answer = await healthz(workerWith().worker, { FACTORY_STATE: env.FACTORY_STATE });
    expect(answer.status).toBe(200);
  });

  it('does not echo what a failing tenants function threw, and recovers once it succeeds', async () => {
    let calls = 0;
    const { worker, logger } = workerWith({
      tenants: (): TenantRegistry => {
        calls += 1;
        if (calls === 1) throw new Error('could not parse LINEAR_API_KEY=lin_api_shh');
        return new StaticTenantRegistry([]);
      },
    });
    const bindings = { ...env }; // one env object, as in one isolate
    const failed = await healthz(worker, bindings);
    expect(failed).toEqual({
      status: 500,
      body: { error: 'factory worker is misconfigured: see the Worker logs' },
    });
    expect(logger.lines[0]?.fields.error).toContain('could not parse');

    const recovered = await healthz(worker, bindings);
    expect(recovered.status).toBe(200);
    await healthz(worker, bindings);
    expect(calls).toBe(2); // built once per isolate and env, not per request
  });

  it('says so when the tenants function returns something that is not a registry', async () => {
    const { worker } = workerWith({ tenants: () => ({}) as TenantRegistry });
    const answer = await healthz(worker, { ...env });
    expect(answer.body.error).toContain('the tenants function must return a TenantRegistry');
  });

  it('fails the Cron run itself when misconfigured, so the failure shows', async () => {
    const { worker } = workerWith();
    const controller = createScheduledController({ cron: '* * * * *', scheduledTime: 0 });
    await expect(worker.scheduled(controller, {}, createExecutionContext())).rejects.toThrow(
      FactoryConfigError,
    );
  });
});
