import { slotsIn } from '@software-factory/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentBench, type IssueSeed, PERSON, PUBLIC_URL, TENANT } from './support/agent-bench.ts';
import { fixtureJson, pullRequestExample } from './support/fixtures.ts';
import { LINEAR_APP_USER } from './support/linear-server.ts';

const VAGUE: IssueSeed = {
  id: '3d1f0a5e-7c2b-4f8e-9b61-0a4e2c7d9f13',
  identifier: 'ENG-43',
  title: 'Fix it',
  description: 'It is broken.',
};
const CLEAR: IssueSeed = {
  id: '4e2a1b6f-8d3c-4a9f-8c72-1b5f3d8e0a24',
  identifier: 'ENG-45',
  title: 'Export as JSON',
  description:
    'The export command should print JSON when --json is passed. Done when the JSON matches the table rows and the tests cover it.',
};
const UNLABELLED: IssueSeed = {
  id: '5f3b2c7a-9e4d-4b0a-9d83-2c6a4e9f1b35',
  identifier: 'ENG-44',
  title: 'Rewrite the billing system',
  description: 'All of it, in Rust. Done when every invoice is produced by the new code.',
  labels: [],
};
const SESSION = '8a7d3c2b-1e4f-4a6b-9c8d-7e6f5a4b3c2d';
const REPLY = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

let bench: AgentBench;
beforeAll(async () => {
  bench = await new AgentBench().start();
  for (const issue of [VAGUE, CLEAR, UNLABELLED]) bench.addIssue(issue);
});
afterAll(() => bench.stop());

async function json(response: Response) {
  return (await response.json()) as Record<string, unknown>;
}

/** Resolves when an activity of `type` reaches Linear in `session`, or after `ms` (then it is missing). */
function activityArrives(session: string, type: string, ms = 5_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const seen = () =>
      bench.linear.activities.some(
        (activity) => activity.agentSessionId === session && activity.content.type === type,
      );
    if (seen()) {
      clearTimeout(timer);
      resolve();
      return;
    }
    bench.linear.onActivity = () => {
      if (!seen()) return;
      clearTimeout(timer);
      bench.linear.onActivity = undefined;
      resolve();
    };
  });
}

describe('an issue delegated to the factory in Linear, clarified in its session, to a pull request', () => {
  it('1. delegation: a thought reaches the session within the deadline and before triage finishes; the question is an elicitation', async () => {
    // Triage is held until the thought has reached Linear (at most 5 s): it can only finish after it.
    bench.beforeTriage = () => activityArrives(SESSION, 'thought');
    const body = bench.created(VAGUE, SESSION);
    const sentAt = Date.now();
    const response = await bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
    bench.beforeTriage = undefined;
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      status: 'processed',
      results: [{ event: 'work-item.changed', workItemId: VAGUE.id }],
    });
    const [thought, question] = bench.linear.activities.filter((a) => a.agentSessionId === SESSION);
    expect(thought?.content).toMatchObject({ type: 'thought' });
    // Measured from the request, against Linear's 10 s (generous: a real thought takes milliseconds).
    expect((thought?.receivedAt ?? Number.POSITIVE_INFINITY) - sentAt).toBeLessThan(10_000);
    expect(bench.triageCalls).toEqual([{ sawThought: true }]);
    expect(question?.content).toMatchObject({ type: 'elicitation' });
    expect(String(question?.content.body)).toContain('Reply here');
    expect((await bench.store.getRecord(TENANT, VAGUE.id))?.status).toBe('waiting-clarification');
    // The session links to the item on the dashboard.
    expect(bench.linear.sessionUpdates).toEqual([
      {
        id: SESSION,
        input: {
          externalUrls: [{ label: 'Factory dashboard', url: `${PUBLIC_URL}/t/${TENANT}/items/${VAGUE.id}` }],
        },
      },
    ]);
    // The question is in the session; nothing was commented on the issue, no agent started.
    expect(bench.linear.comments.size).toBe(0);
    expect(bench.fleet.spawnCalls).toBe(0);
  });

  it('2. an out-of-order prompt for a session the factory does not know changes nothing', async () => {
    const before = await bench.snapshot();
    const body = bench.prompted(
      VAGUE,
      '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a',
      'aa11bb22-cc33-4d44-8e55-ff6677889900',
    );
    const response = await bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      results: [
        {
          event: 'clarification.replied',
          outcome: 'ignored',
          reason: 'not a thread the factory is waiting on',
        },
      ],
    });
    expect(await bench.snapshot()).toEqual(before);
  });

  it('3. the person answers in the session: the answer is taken, the issue moves to started with the app as delegate, an agent starts', async () => {
    bench.clock.advance(60_000);
    const body = bench.prompted(VAGUE, SESSION, REPLY);
    const response = await bench.post(
      `/t/${TENANT}/webhooks/linear`,
      body,
      bench.linearHeaders(body, 'delivery-reply-1'),
    );
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ results: [{ event: 'clarification.replied' }] });
    const record = await bench.store.getRecord(TENANT, VAGUE.id);
    expect(record?.status).toBe('dispatched');
    expect(record?.clarification?.answers).toMatchObject([{ messageId: REPLY, author: PERSON.name }]);
    const [agentId] = bench.fleet.agentsFor(VAGUE.id);
    expect(bench.fleet.agents.get(agentId!)?.request.task).toContain('print JSON when --json is passed');
    // Best practice: the first started state, and the app as delegate.
    expect(bench.linear.stateOf(VAGUE.id)?.name).toBe('In Progress');
    expect(bench.linear.issues.get(VAGUE.id)?.delegateId).toBe(LINEAR_APP_USER.id);
    const kinds = bench.activitiesIn(SESSION).map((content) => [content.type, content.action ?? '']);
    expect(kinds).toEqual([
      ['thought', ''],
      ['elicitation', ''],
      ['thought', ''],
      ['action', 'Dispatched'],
      ['action', 'Started an agent'],
    ]);
  });

  it('4. the same prompt again — a retry under the same delivery, or another delivery of it — does nothing', async () => {
    const before = await bench.snapshot();
    const body = bench.prompted(VAGUE, SESSION, REPLY);
    const retry = await bench.post(
      `/t/${TENANT}/webhooks/linear`,
      body,
      bench.linearHeaders(body, 'delivery-reply-1'),
    );
    expect(await json(retry)).toEqual({ status: 'duplicate', deliveryId: 'delivery-reply-1' });
    const again = await bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
    expect(again.status).toBe(200);
    expect(await bench.snapshot()).toEqual(before);
    expect(bench.fleet.spawnCalls).toBe(1);
  });

  it('5. the pull request is ready: the session gets a response with its link, the agent is released and the slot freed', async () => {
    bench.clock.advance(3_600_000);
    const example = pullRequestExample('ready_for_review');
    Object.assign(example.pull_request, {
      title: 'ENG-43: fix it',
      head: { ...(example.pull_request.head as object), ref: 'factory/eng-43' },
    });
    const body = JSON.stringify(example);
    const response = await bench.post(`/t/${TENANT}/webhooks/github`, body, bench.githubHeaders(body));
    expect(await json(response)).toMatchObject({
      results: [{ event: 'output.changed', workItemId: VAGUE.id }],
    });
    expect((await bench.store.getRecord(TENANT, VAGUE.id))?.status).toBe('done');
    expect(bench.activitiesIn(SESSION).at(-1)).toEqual({
      type: 'response',
      body: 'Done: https://github.com/Codertocat/Hello-World/pull/2 is ready for review.',
    });
    const [agentId] = bench.fleet.agentsFor(VAGUE.id);
    expect(bench.fleet.agents.get(agentId!)?.released).toBe(true);
    expect(await slotsIn(bench.store, TENANT, 'tenant')).toEqual([]);
    expect(bench.linear.comments.size).toBe(0);
  });
});

describe('the stop signal while an agent works', () => {
  const session = '7b6a5c4d-3e2f-4a1b-8c0d-9e8f7a6b5c4d';

  it('releases the agent, frees the slot and confirms in the session', async () => {
    bench.clock.advance(60_000);
    const body = bench.created(CLEAR, session);
    await bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
    expect((await bench.store.getRecord(TENANT, CLEAR.id))?.status).toBe('dispatched');
    expect(await slotsIn(bench.store, TENANT, 'tenant')).toHaveLength(1);

    bench.clock.advance(60_000);
    const stop = bench.stopSignal(CLEAR, session, '6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f');
    const response = await bench.post(`/t/${TENANT}/webhooks/linear`, stop, bench.linearHeaders(stop));
    expect(response.status).toBe(200);
    const record = await bench.store.getRecord(TENANT, CLEAR.id);
    expect(record?.status).toBe('cancelled');
    const [agentId] = bench.fleet.agentsFor(CLEAR.id);
    expect(bench.fleet.agents.get(agentId!)?.released).toBe(true);
    expect(await slotsIn(bench.store, TENANT, 'tenant')).toEqual([]);
    const last = bench.activitiesIn(session).slice(-2);
    expect(last[0]).toMatchObject({ type: 'thought', body: 'Stopping the work on ENG-45, as asked.' });
    expect(last[1]).toMatchObject({ type: 'response' });
    expect(String(last[1]?.body)).toMatch(/^Stopped the agent/);
  });

  it('a stop delivered twice, or for a session never seen, does no harm', async () => {
    const before = await bench.snapshot();
    const stop = bench.stopSignal(CLEAR, session, '6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f');
    expect((await bench.post(`/t/${TENANT}/webhooks/linear`, stop, bench.linearHeaders(stop))).status).toBe(
      200,
    );
    const unknown = bench.stopSignal(
      CLEAR,
      '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b',
    );
    const response = await bench.post(`/t/${TENANT}/webhooks/linear`, unknown, bench.linearHeaders(unknown));
    expect(response.status).toBe(200);
    const after = (await bench.snapshot()) as Record<string, unknown>;
    // Only the acknowledging thoughts reached Linear; the factory's state is as it was.
    expect({ ...after, activities: undefined }).toEqual({ ...(before as object), activities: undefined });
    expect(bench.fleet.spawnCalls).toBe(2);
  });
});

describe('a session for an issue outside the safety gate', () => {
  it('is answered with a polite refusal in the session, and nothing is dispatched', async () => {
    const session = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e';
    const spawns = bench.fleet.spawnCalls;
    const body = bench.created(UNLABELLED, session);
    const response = await bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ results: [{ outcome: 'ignored' }] });
    const [refusal, ...more] = bench.activitiesIn(session);
    expect(more).toEqual([]);
    expect(refusal?.type).toBe('response');
    expect(String(refusal?.body)).toContain("can't take ENG-44");
    expect(String(refusal?.body)).toContain('missing label "factory"');
    expect(await bench.store.getRecord(TENANT, UNLABELLED.id)).toBeUndefined();
    expect(bench.fleet.spawnCalls).toBe(spawns);
  });
});

describe('bad input is refused with a clear 4xx and changes nothing', () => {
  const session = '3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f';

  async function refused(body: string, headers: Record<string, string>, status: number, error: RegExp) {
    const before = await bench.snapshot();
    const response = await bench.post(`/t/${TENANT}/webhooks/linear`, body, headers);
    expect(response.status).toBe(status);
    expect(String((await json(response)).error)).toMatch(error);
    expect(await bench.snapshot()).toEqual(before);
  }

  it('a session of another app user (422)', async () => {
    const payload = JSON.parse(bench.created(CLEAR, session)) as Record<string, unknown>;
    payload.appUserId = '0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b';
    const body = JSON.stringify(payload);
    await refused(body, bench.linearHeaders(body), 422, /app user 0e9d8c7b/);
  });

  it('a session of another Linear workspace (422)', async () => {
    const payload = JSON.parse(bench.created(CLEAR, session)) as Record<string, unknown>;
    payload.organizationId = 'org-elsewhere';
    const body = JSON.stringify(payload);
    await refused(body, bench.linearHeaders(body), 422, /workspace org-elsewhere/);
  });

  it('a wrong signature (401)', async () => {
    const body = bench.created(CLEAR, session);
    await refused(
      body,
      { ...bench.linearHeaders(body), 'linear-signature': 'ab'.repeat(32) },
      401,
      /does not match/,
    );
  });

  it('a malformed session event (400)', async () => {
    const payload = JSON.parse(bench.created(CLEAR, session)) as { agentSession: Record<string, unknown> };
    delete payload.agentSession.id;
    const body = JSON.stringify(payload);
    await refused(body, bench.linearHeaders(body), 400, /agentSession\.id/);
  });

  it('a body that is no JSON (400)', async () => {
    const body = '{"type":"AgentSessionEvent",';
    await refused(body, bench.linearHeaders(body), 400, /malformed JSON/);
  });
});

describe('the fixtures', () => {
  it('the documented activity contents are what the factory posts: body, or action and parameter', () => {
    const docs = fixtureJson<Record<string, Record<string, unknown>>>(
      'linear/agent-activity-content.docs-examples.json',
    );
    for (const kind of ['thought', 'elicitation', 'response', 'error'])
      expect(Object.keys(docs[kind] ?? {}).sort()).toEqual(['body', 'type']);
    expect(Object.keys(docs.action ?? {}).sort()).toEqual(['action', 'parameter', 'type']);
    const posted = bench.linear.activities.map((activity) => activity.content);
    for (const content of posted)
      expect(Object.keys(content).sort()).toEqual(
        content.type === 'action' ? ['action', 'parameter', 'type'] : ['body', 'type'],
      );
  });
});
