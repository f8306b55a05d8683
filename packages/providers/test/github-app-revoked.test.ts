import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectBench, GITHUB_APP, TENANT } from './support/direct-bench.ts';
import { fixtureJson } from './support/fixtures.ts';

const TEAM_ID = 'eeaa0cbd-xxxx-xxxx-xxxx-1c701c3485f1';
const ISSUE_ID = '236e0fe8-xxxx-xxxx-xxxx-b2df06e33810';

let bench: DirectBench;

beforeAll(async () => {
  bench = await new DirectBench({ github: 'app' }).start();
  bench.linear.addTeam({
    id: TEAM_ID,
    key: 'KOR',
    name: 'korosuke613',
    states: [
      { id: 'e788ada6-xxxx-xxxx-xxxx-5717c26104ad', name: 'Todo', type: 'unstarted', position: 1 },
      { id: 'kor-in-progress', name: 'In Progress', type: 'started', position: 2 },
      { id: 'kor-done', name: 'Done', type: 'completed', position: 3 },
    ],
  });
  bench.linear.addIssue({
    id: ISSUE_ID,
    identifier: 'KOR-11',
    number: 11,
    title: 'Fix it',
    description: 'It is broken.',
    url: 'https://linear.app/korosuke613/issue/KOR-11/webhook-test',
    updatedAt: '2026-01-01T11:59:00.000Z',
    priority: 0,
    stateId: 'e788ada6-xxxx-xxxx-xxxx-5717c26104ad',
    teamId: TEAM_ID,
    labels: [{ id: 'label-factory', name: 'factory' }],
  });
});
afterAll(() => bench.stop());

/** The captured issue.create payload, as a vague ready issue. */
function issueCreated(): string {
  const payload = fixtureJson('linear/issue.create.korosuke613.json') as { data: Record<string, unknown> };
  const update = fixtureJson('linear/issue.update.cycle-and-state.korosuke613.json') as {
    data: { state: unknown; stateId: string };
  };
  return JSON.stringify({
    ...payload,
    data: {
      ...payload.data,
      title: 'Fix it',
      description: 'It is broken.',
      updatedAt: '2026-01-01T11:59:00.000Z',
      identifier: 'KOR-11',
      state: update.data.state,
      stateId: update.data.stateId,
      labelIds: ['label-factory'],
      labels: [{ id: 'label-factory', name: 'factory', color: '#5e6ad2' }],
    },
    organizationId: 'org-1',
    webhookId: 'webhook-1',
    webhookTimestamp: bench.clock.now(),
  });
}

describe('a GitHub App installation revoked while the factory runs', () => {
  it('shows GitHub as needs-auth, refuses deliveries with 503 so the sender retries, and handles the retry once the App is installed again: nothing lost', async () => {
    bench.appIssuer?.revoke(GITHUB_APP.installationId);

    expect(await bench.factory.ports.outputs.checkConnection()).toMatchObject({ state: 'needs-auth' });
    const body = issueCreated();
    const refused = await bench.post(`/t/${TENANT}/webhooks/linear`, body, bench.linearHeaders(body));
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      error: expect.stringMatching(/not processing work/),
      unconnected: [expect.objectContaining({ provider: 'github', role: 'output', state: 'needs-auth' })],
    });
    expect(await bench.store.getRecord(TENANT, ISSUE_ID)).toBeUndefined();
    expect(bench.slack.posts()).toEqual([]);

    // Installed again; Linear retries a minute later (the connection is checked at most once a minute).
    bench.appIssuer?.revoked.delete(GITHUB_APP.installationId);
    bench.clock.advance(60_000);
    const retry = issueCreated();
    const retried = await bench.post(`/t/${TENANT}/webhooks/linear`, retry, bench.linearHeaders(retry));

    expect(retried.status).toBe(200);
    expect((await bench.store.getRecord(TENANT, ISSUE_ID))?.status).toBe('waiting-clarification');
    expect(bench.slack.posts()).toHaveLength(1);
  });
});
