import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectBench, TENANT } from './support/direct-bench.ts';
import { fixtureJson, pullRequestExample } from './support/fixtures.ts';

// Issue #19: what the real sources do through the HTTP app when a vendor is down or a delivery replayed.

const TEAM_ID = 'team-hardening';
const ISSUE_ID = 'issue-hardening-1';

let bench: DirectBench;
beforeAll(async () => {
  bench = await new DirectBench().start();
  bench.linear.addTeam({
    id: TEAM_ID,
    key: 'HRD',
    name: 'hardening',
    states: [{ id: 'hrd-todo', name: 'Todo', type: 'unstarted', position: 1 }],
  });
  bench.linear.addIssue({
    id: ISSUE_ID,
    identifier: 'HRD-1',
    number: 1,
    title: 'Fix it',
    description: 'It is broken.',
    url: 'https://linear.app/hardening/issue/HRD-1',
    updatedAt: '2026-01-01T11:59:00.000Z',
    priority: 0,
    stateId: 'hrd-todo',
    teamId: TEAM_ID,
    labels: [{ id: 'label-factory', name: 'factory' }],
  });
});
afterAll(() => bench.stop());

/** An Issue create that carries label ids only, so the source must ask Linear's API for their names. */
function labelIdsOnly(): string {
  const payload = fixtureJson('linear/issue.create.korosuke613.json') as { data: Record<string, unknown> };
  const { labels: _labels, ...data } = payload.data;
  return JSON.stringify({
    ...payload,
    data: { ...data, id: ISSUE_ID, identifier: 'HRD-1', teamId: TEAM_ID, labelIds: ['label-factory'] },
    webhookTimestamp: bench.clock.now(),
  });
}

describe("a signed Linear delivery while Linear's API is down", () => {
  it('is answered 503 with Retry-After (never 500), remembers nothing, and is processed when Linear is back', async () => {
    const before = await bench.snapshot();
    // Every attempt of the label query (the provider retries) gets a 500.
    bench.linear.failNext(
      'FactoryIssue',
      ...Array.from({ length: 10 }, () => ({ status: 500, body: { error: 'internal error' } })),
    );
    const body = labelIdsOnly();
    const headers = bench.linearHeaders(body);
    const response = await bench.post(`/t/${TENANT}/webhooks/linear`, body, headers);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(await response.json()).toEqual({ error: 'a dependency is unavailable; retry later' });
    expect(bench.linear.operations).toContain('FactoryIssue');
    expect(await bench.snapshot()).toEqual(before);

    // Linear's retry of the same delivery, once its API answers again.
    while (bench.linear.faults.pending > 0) bench.linear.faults.take('FactoryIssue');
    const retry = await bench.post(`/t/${TENANT}/webhooks/linear`, body, headers);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({
      status: 'processed',
      results: [{ event: 'work-item.changed', workItemId: ISSUE_ID }],
    });
  });
});

describe('a captured GitHub delivery replayed under a new X-GitHub-Delivery', () => {
  it('is answered as a duplicate: GitHub signs no timestamp, so the body hash tells', async () => {
    const body = JSON.stringify(pullRequestExample('opened'));
    const first = await bench.post(`/t/${TENANT}/webhooks/github`, body, bench.githubHeaders(body));
    expect(first.status).toBeLessThan(300);
    const before = await bench.snapshot();
    const replayed = bench.githubHeaders(body);
    const replay = await bench.post(`/t/${TENANT}/webhooks/github`, body, replayed);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({
      status: 'duplicate',
      deliveryId: replayed['x-github-delivery'],
    });
    expect(await bench.snapshot()).toEqual(before);
  });
});
