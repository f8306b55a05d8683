import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectBench, OPERATOR_TOKEN, TENANT } from './support/direct-bench.ts';
import { fixtureText } from './support/fixtures.ts';

let bench: DirectBench;
beforeAll(async () => {
  bench = await new DirectBench().start();
});
afterAll(() => bench.stop());

describe('a direct tenant', () => {
  it('mounts the three sources and reports each connection by role, checked once per minute', async () => {
    const asOperator = { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } };
    const health = await bench.app.request('/healthz', asOperator);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      tenants: [
        {
          id: TENANT,
          processing: true,
          connections: [
            { provider: 'linear', role: 'intake', state: 'connected' },
            { provider: 'slack', role: 'clarification', state: 'connected' },
            { provider: 'github', role: 'output', state: 'connected' },
          ],
        },
      ],
    });
    await bench.app.request('/healthz', asOperator);
    expect(bench.slack.callsOf('auth.test')).toBe(1);
    bench.clock.advance(60_000);
    await bench.app.request('/healthz', asOperator);
    expect(bench.slack.callsOf('auth.test')).toBe(2);
  });

  it('refuses work with 503 while a provider needs authorisation, and names it as data for the reader to word', async () => {
    bench.slack.tokens.delete('xoxb-test-token');
    bench.clock.advance(60_000);
    const before = await bench.snapshot();
    const body = fixtureText('slack/event_callback.message.thread_reply.channel.json');
    const response = await bench.post(`/t/${TENANT}/webhooks/slack`, body, bench.slackHeaders(body));
    expect(response.status).toBe(503);
    // The app cannot know whether the fix is a local or a --remote connect, so it names no command.
    expect(await response.json()).toEqual({
      error: 'not processing work: slack (clarification) needs authorisation',
      unconnected: [{ provider: 'slack', role: 'clarification', state: 'needs-auth' }],
    });
    expect(await bench.snapshot()).toEqual(before);
    bench.slack.tokens.add('xoxb-test-token');
  });
});
