import { StaticTenantRegistry } from '@software-factory/sdk';
import { FakeClock, MemoryLogger } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore } from '../src/dynamo-state-store.ts';
import { createLambdaHandlers } from '../src/lambda-handlers.ts';
import { LambdaEventError } from '../src/lambda-http-event.ts';
import { readTemplate } from './support/cloudformation-yaml.ts';
import { deployInstance } from './support/deployment.ts';
import { loadAwsFixture } from './support/lambda-events.ts';
import { type LocalDynamo, startLocalDynamo } from './support/local-dynamo.ts';

/** What EventBridge Scheduler delivers: the template's Input with its context placeholders filled in. */
function schedulerInvocation(scheduledTime: string): unknown {
  const target = readTemplate().Resources.Tick?.Properties?.Target as { Input: string };
  const filled = target.Input.replaceAll(
    '<aws.scheduler.schedule-arn>',
    'arn:aws:scheduler:us-west-2:123456789012:schedule/default/factory-tick',
  )
    .replaceAll('<aws.scheduler.scheduled-time>', scheduledTime)
    .replaceAll('<aws.scheduler.execution-id>', 'd32c5kddcf5bb8c3')
    .replaceAll('<aws.scheduler.attempt-number>', '1');
  return JSON.parse(filled);
}

const DAY = 86_400_000;
let dynamo: LocalDynamo;
let tableName: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.createTable();
});
afterAll(() => dynamo.close());

describe('the schedule handler', () => {
  it("runs the core's tick for every tenant: a question left unanswered for a day gets its reminder", async () => {
    const clock = new FakeClock();
    const deployment = deployInstance({
      dynamo,
      tableName,
      clock,
      tenants: [
        { id: 'tick-a' },
        {
          id: 'tick-unconnected',
          connections: [
            { provider: 'tracker', role: 'intake', status: { state: 'needs-auth', reason: 'no token yet' } },
          ],
        },
      ],
    });
    const tenant = deployment.harness('tick-a');
    await tenant.factory.handle(tenant.changed(tenant.vagueItem('item-1')));
    const threadId = tenant.chat.threadFor('item-1') as string;
    expect(tenant.chat.threads.get(threadId)?.replies).toEqual([]);

    clock.advance(DAY + 1);
    const summary = await deployment.handlers.schedule(schedulerInvocation('2026-01-02T00:00:01Z'));

    expect(summary.trigger).toBe('scheduler');
    expect(summary.scheduledTime).toBe('2026-01-02T00:00:01Z');
    expect(summary.tenants).toEqual([
      expect.objectContaining({ tenant: 'tick-a', outcome: 'changed' }),
      {
        tenant: 'tick-unconnected',
        outcome: 'refused',
        reason: expect.stringMatching(/^not processing work: tracker \(intake\) needs authorisation/),
      },
    ]);
    expect(summary.failed).toBe(0);
    expect(summary.refused).toBe(1);
    expect(tenant.chat.threads.get(threadId)?.replies).toHaveLength(1);
    expect(deployment.logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'tick refused for a tenant' }),
    );
  });

  for (const fixture of [
    'eventbridge.scheduled-event.awsdocs.json',
    'eventbridge.scheduled-event.sam-cli-template.json',
  ]) {
    it(`also takes an EventBridge rule's Scheduled Event (${fixture})`, async () => {
      const deployment = deployInstance({ dynamo, tableName, tenants: [{ id: 'tick-rule' }] });
      const summary = await deployment.handlers.schedule(loadAwsFixture(fixture));
      expect(summary).toMatchObject({
        trigger: 'eventbridge-rule',
        tenants: [{ tenant: 'tick-rule', outcome: 'ignored' }],
        failed: 0,
      });
    });
  }

  const refused = [
    {
      name: 'an EventBridge event that is not a schedule',
      event: loadAwsFixture('eventbridge.base.powertools.json'),
    },
    { name: 'an HTTP event', event: loadAwsFixture('apigw-v2-http.no-auth.powertools.json') },
    {
      name: 'a schedule Input from another application',
      event: { source: 'someone.else', scheduledTime: 'x' },
    },
    { name: 'nothing', event: undefined },
  ];
  for (const { name, event } of refused) {
    it(`refuses ${name} before any tenant or state is touched`, async () => {
      const deployment = deployInstance({ dynamo, tableName, tenants: [{ id: 'tick-refused' }] });
      const error = await deployment.handlers.schedule(event).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LambdaEventError);
      expect((error as Error).message).toMatch(/^not a tick: expected the schedule Input/);
      expect(deployment.requests.total).toBe(0);
    });
  }
});

describe('the registry factory the deployer supplies', () => {
  it('runs once per instance, at the first invocation, and again after it failed', async () => {
    let calls = 0;
    const handlers = createLambdaHandlers({
      registry: async () => {
        calls += 1;
        if (calls === 1) throw new Error('FACTORY_TENANTS is not valid JSON');
        return new StaticTenantRegistry([]);
      },
      store: new DynamoStateStore({ tableName, client: dynamo.client() }),
      version: 'test',
      logger: new MemoryLogger(),
    });
    expect(calls).toBe(0);
    await expect(handlers.schedule(schedulerInvocation('2026-01-01T00:00:00Z'))).rejects.toThrow(
      'FACTORY_TENANTS is not valid JSON',
    );
    expect(await handlers.schedule(schedulerInvocation('2026-01-01T00:01:00Z'))).toMatchObject({
      tenants: [],
    });
    const health = await handlers.http(loadAwsFixture('apigw-v2-http.no-auth.powertools.json'));
    expect(health.statusCode).toBe(404);
    expect(calls).toBe(2);
  });
});
