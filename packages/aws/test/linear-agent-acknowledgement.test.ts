import { StaticTenantRegistry } from '@software-factory/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentBench, PUBLIC_URL, TENANT } from '../../providers/test/support/agent-bench.ts';
import { createLambdaHandlers } from '../src/lambda-handlers.ts';
import { asHttpApiEvent } from './support/lambda-events.ts';

// The Lambda handler finishes all work before it answers (there is no waitUntil): Linear's 10 s for a
// new session's first activity must hold anyway, because the thought is posted before triage.

const ISSUE = {
  id: '4e2a1b6f-8d3c-4a9f-8c72-1b5f3d8e0a24',
  identifier: 'ENG-45',
  title: 'Export as JSON',
  description:
    'The export command should print JSON when --json is passed. Done when the JSON matches the table rows and the tests cover it.',
};
const SESSION = '7b6a5c4d-3e2f-4a1b-8c0d-9e8f7a6b5c4d';

let bench: AgentBench;
beforeAll(async () => {
  bench = await new AgentBench().start();
  bench.addIssue(ISSUE);
});
afterAll(() => bench.stop());

describe('a Linear agent session delegated through the Lambda handler', () => {
  it('gets its thought within the deadline, before triage finishes, although the handler answers only after handling', async () => {
    const handlers = createLambdaHandlers({
      registry: new StaticTenantRegistry([bench.tenant]),
      store: bench.store,
      version: 'test',
      clock: bench.clock,
      logger: bench.logger,
      publicUrl: PUBLIC_URL,
    });
    // Triage waits (at most 5 s) for the thought to reach Linear: it can only finish after it.
    bench.beforeTriage = () =>
      new Promise<void>((resolve) => {
        if (bench.linear.activities.some((activity) => activity.content.type === 'thought')) return resolve();
        const timer = setTimeout(resolve, 5_000);
        bench.linear.onActivity = (activity) => {
          if (activity.content.type !== 'thought') return;
          clearTimeout(timer);
          resolve();
        };
      });
    const body = bench.created(ISSUE, SESSION);
    const sentAt = Date.now();
    const result = await handlers.http(
      asHttpApiEvent({
        method: 'POST',
        path: `/t/${TENANT}/webhooks/linear`,
        headers: bench.linearHeaders(body),
        body,
      }),
    );
    bench.beforeTriage = undefined;
    bench.linear.onActivity = undefined;
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ status: 'processed' });
    const [thought] = bench.linear.activities;
    expect(thought?.content.type).toBe('thought');
    expect((thought?.receivedAt ?? Number.POSITIVE_INFINITY) - sentAt).toBeLessThan(10_000);
    expect(bench.triageCalls).toEqual([{ sawThought: true }]);
    // The handler returned after the whole handling: the agent is already dispatched.
    expect((await bench.store.getRecord(TENANT, ISSUE.id))?.status).toBe('dispatched');
    expect(bench.linear.sessionUpdates[0]?.input).toEqual({
      externalUrls: [{ label: 'Factory dashboard', url: `${PUBLIC_URL}/t/${TENANT}/items/${ISSUE.id}` }],
    });
  });
});
