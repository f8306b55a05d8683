import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectBench, TENANT } from './support/direct-bench.ts';
import { fixtureJson, fixtureText, pullRequestExample } from './support/fixtures.ts';

let bench: DirectBench;
beforeAll(async () => {
  bench = await new DirectBench().start();
});
afterAll(() => bench.stop());

interface Source {
  name: 'linear' | 'slack' | 'github';
  /** A delivery that would be accepted, signed as the sender signs it. */
  valid(): { body: string; headers: Record<string, string> };
  /** The same delivery signed too long ago, when the sender signs a time at all. */
  stale?(): { body: string; headers: Record<string, string> };
  /** A signed delivery of something the factory does not act on. */
  unhandled(): { body: string; headers: Record<string, string>; reason: string };
  signatureHeader: string;
}

const linearIssue = () => ({
  ...fixtureJson('linear/issue.create.korosuke613.json'),
  webhookTimestamp: bench.clock.now(),
});

const sources: Source[] = [
  {
    name: 'linear',
    signatureHeader: 'linear-signature',
    valid() {
      const body = JSON.stringify(linearIssue());
      return { body, headers: bench.linearHeaders(body) };
    },
    stale() {
      const body = JSON.stringify({ ...linearIssue(), webhookTimestamp: bench.clock.now() - 120_000 });
      return { body, headers: bench.linearHeaders(body) };
    },
    unhandled() {
      const body = JSON.stringify({
        ...fixtureJson('linear/comment.create.docs-example.json'),
        webhookTimestamp: bench.clock.now(),
      });
      return {
        body,
        headers: bench.linearHeaders(body),
        reason: 'Linear Comment webhooks do not change work items',
      };
    },
  },
  {
    name: 'slack',
    signatureHeader: 'x-slack-signature',
    valid() {
      const body = fixtureText('slack/event_callback.message.thread_reply.channel.json');
      return { body, headers: bench.slackHeaders(body) };
    },
    stale() {
      const body = fixtureText('slack/event_callback.message.thread_reply.channel.json');
      return { body, headers: bench.slackHeaders(body, bench.clock.now() - 600_000) };
    },
    unhandled() {
      const body = fixtureText('slack/event_callback.message.bot_id.json');
      return { body, headers: bench.slackHeaders(body), reason: 'messages from bots are not answers' };
    },
  },
  {
    name: 'github',
    signatureHeader: 'x-hub-signature-256',
    valid() {
      const body = JSON.stringify(pullRequestExample('opened'));
      return { body, headers: bench.githubHeaders(body) };
    },
    unhandled() {
      const body = JSON.stringify(pullRequestExample('labeled'));
      return {
        body,
        headers: bench.githubHeaders(body),
        reason: 'pull_request action "labeled" does not change the output',
      };
    },
  },
];

async function expectUnchanged(
  request: () => Promise<Response>,
  status: number,
): Promise<Record<string, unknown>> {
  const before = await bench.snapshot();
  const response = await request();
  expect(response.status).toBe(status);
  expect(await bench.snapshot()).toEqual(before);
  return (await response.json()) as Record<string, unknown>;
}

describe.each(sources)('POST /t/:tenant/webhooks/$name with bad input', (source) => {
  const path = `/t/${TENANT}/webhooks/${source.name}`;

  it('without a signature: 401, nothing changes', async () => {
    const { body, headers } = source.valid();
    const { [source.signatureHeader]: _dropped, ...unsigned } = headers;
    const answer = await expectUnchanged(() => bench.post(path, body, unsigned), 401);
    expect(answer.error).toMatch(/missing/i);
  });

  it('with a wrong signature: 401, nothing changes', async () => {
    const { body, headers } = source.valid();
    const forged = {
      ...headers,
      [source.signatureHeader]: headers[source.signatureHeader]!.replace(
        /[0-9a-f](?=[0-9a-f]{8}$)/,
        (digit) => (digit === '0' ? '1' : '0'),
      ),
    };
    await expectUnchanged(() => bench.post(path, body, forged), 401);
    await expectUnchanged(() => bench.post(path, `${body} `, headers), 401);
  });

  if (source.stale) {
    it('signed too long ago: 401, nothing changes', async () => {
      const { body, headers } = source.stale!();
      const answer = await expectUnchanged(() => bench.post(path, body, headers), 401);
      expect(answer.error).toMatch(/from our clock/);
    });
  } else {
    it('has no signed timestamp: a replayed delivery id is answered duplicate instead', async () => {
      const { body, headers } = source.valid();
      const first = await bench.post(path, body, headers);
      expect(first.status).toBe(200);
      const answer = await expectUnchanged(() => bench.post(path, body, headers), 200);
      expect(answer.status).toBe('duplicate');
    });
  }

  it('with malformed JSON, correctly signed: 400, nothing changes', async () => {
    const { headers } = source.valid();
    const body = '{"type": "Issue", "data": ';
    const signed =
      source.name === 'linear'
        ? bench.linearHeaders(body)
        : source.name === 'slack'
          ? bench.slackHeaders(body)
          : bench.githubHeaders(body);
    const answer = await expectUnchanged(() => bench.post(path, body, { ...headers, ...signed }), 400);
    expect(answer.error).toMatch(/malformed JSON/);
  });

  it('with the wrong content type: 415, nothing changes', async () => {
    const { body, headers } = source.valid();
    const answer = await expectUnchanged(
      () => bench.post(path, body, { ...headers, 'content-type': 'application/x-www-form-urlencoded' }),
      415,
    );
    expect(answer.error).toContain('application/json');
  });

  it('with a body over 1 MiB: 413, nothing changes', async () => {
    const { headers } = source.valid();
    const body = JSON.stringify({ padding: 'x'.repeat(1024 * 1024) });
    await expectUnchanged(() => bench.post(path, body, headers), 413);
  });

  it('for an unknown tenant: 404, nothing changes', async () => {
    const { body, headers } = source.valid();
    const answer = await expectUnchanged(
      () => bench.post(`/t/nobody/webhooks/${source.name}`, body, headers),
      404,
    );
    expect(answer.error).toBe('unknown tenant');
  });

  it('of an event the factory does not handle: 202 with the reason, nothing changes', async () => {
    const { body, headers, reason } = source.unhandled();
    const answer = await expectUnchanged(() => bench.post(path, body, headers), 202);
    expect(answer).toEqual({ status: 'ignored', reason });
  });
});

describe('a rejected delivery', () => {
  it('is not remembered: the same delivery id, properly signed later, is processed', async () => {
    const { body, headers } = sources[0]!.valid();
    const first = await bench.post(`/t/${TENANT}/webhooks/linear`, body, {
      ...headers,
      'linear-signature': '00',
    });
    expect(first.status).toBe(401);
    const second = await bench.post(`/t/${TENANT}/webhooks/linear`, body, headers);
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ status: 'processed' });
  });
});
