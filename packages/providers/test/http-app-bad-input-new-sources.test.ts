import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureText, githubExample } from './support/fixtures.ts';
import { GITHUB_TENANT, JIRA_TENANT, MixedBench } from './support/mixed-bench.ts';

let bench: MixedBench;
beforeAll(async () => {
  bench = await new MixedBench().start();
});
afterAll(() => bench.stop());

interface Source {
  name: 'jira' | 'github-issues' | 'gitlab';
  tenant: string;
  signatureHeader: string;
  /** A delivery that would be accepted, signed as the sender signs it. */
  valid(): { body: string; headers: Record<string, string> };
  /** The headers for another body, signed. */
  sign(body: string): Record<string, string>;
  /** A signed delivery of something the factory does not act on. */
  unhandled(): { body: string; headers: Record<string, string>; reason: string };
}

const sources: Source[] = [
  {
    name: 'jira',
    tenant: JIRA_TENANT,
    signatureHeader: 'x-hub-signature',
    valid() {
      const body = fixtureText('jira/webhook-issue-created.mattermost.json');
      return { body, headers: bench.jiraHeaders(body) };
    },
    sign: (body) => bench.jiraHeaders(body),
    unhandled() {
      const body = JSON.stringify({ timestamp: 1550286113023, webhookEvent: 'worklog_created', worklog: {} });
      return {
        body,
        headers: bench.jiraHeaders(body),
        reason: 'Jira worklog_created webhooks do not change work items',
      };
    },
  },
  {
    name: 'github-issues',
    tenant: GITHUB_TENANT,
    signatureHeader: 'x-hub-signature-256',
    valid() {
      const body = JSON.stringify(githubExample('issues', 'opened'));
      return { body, headers: bench.githubHeaders(body) };
    },
    sign: (body) => bench.githubHeaders(body),
    unhandled() {
      const body = JSON.stringify(githubExample('issues', 'pinned'));
      return {
        body,
        headers: bench.githubHeaders(body),
        reason: 'issues action "pinned" does not change the work item',
      };
    },
  },
  {
    name: 'gitlab',
    tenant: JIRA_TENANT,
    signatureHeader: 'x-gitlab-token',
    valid() {
      return { body: fixtureText('gitlab/merge_request.go-gitlab.json'), headers: bench.gitlabHeaders() };
    },
    sign: () => bench.gitlabHeaders(),
    unhandled() {
      return {
        body: '{"object_kind":"push","ref":"refs/heads/main"}',
        headers: bench.gitlabHeaders('Push Hook'),
        reason: 'GitLab Push Hook events are not handled',
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
  const path = `/t/${source.tenant}/webhooks/${source.name}`;

  it('without its signature (or token): 401, nothing changes', async () => {
    const { body, headers } = source.valid();
    const { [source.signatureHeader]: _dropped, ...unsigned } = headers;
    const answer = await expectUnchanged(() => bench.post(path, body, unsigned), 401);
    expect(answer.error).toMatch(/missing/i);
  });

  it('with a wrong signature (or token), or a body changed after signing: 401, nothing changes', async () => {
    const { body, headers } = source.valid();
    const signature = headers[source.signatureHeader] as string;
    const forged = {
      ...headers,
      [source.signatureHeader]: `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`,
    };
    await expectUnchanged(() => bench.post(path, body, forged), 401);
    if (source.name !== 'gitlab') await expectUnchanged(() => bench.post(path, `${body} `, headers), 401);
  });

  it('replayed with the same delivery id: answered duplicate, nothing changes', async () => {
    const { body, headers } = source.valid();
    const first = await bench.post(path, body, headers);
    expect(first.status).toBeLessThan(300);
    const answer = await expectUnchanged(() => bench.post(path, body, headers), 200);
    expect(answer.status).toBe('duplicate');
  });

  it('with malformed JSON, correctly signed: 400, nothing changes', async () => {
    const body = '{"webhookEvent": "jira:issue_created", "issue": ';
    const headers = source.sign(body);
    const answer = await expectUnchanged(() => bench.post(path, body, headers), 400);
    expect(answer.error).toMatch(/malformed JSON/);
  });

  it('with valid JSON that is not the event’s shape, correctly signed: 400, nothing changes', async () => {
    const body =
      source.name === 'jira'
        ? '{"webhookEvent":"jira:issue_updated","issue":{"id":"1"}}'
        : source.name === 'github-issues'
          ? '{"action":"opened","issue":{"number":"one"},"repository":{"full_name":"Codertocat/Hello-World"}}'
          : '{"object_kind":"merge_request","project":{"path_with_namespace":"a/b"},"object_attributes":{"iid":1}}';
    const answer = await expectUnchanged(() => bench.post(path, body, source.sign(body)), 400);
    expect(answer.error).toMatch(/incomplete/);
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

  it('for an unknown tenant, or a source this tenant has not configured: 404, nothing changes', async () => {
    const { body, headers } = source.valid();
    expect(
      (await expectUnchanged(() => bench.post(`/t/nobody/webhooks/${source.name}`, body, headers), 404))
        .error,
    ).toBe('unknown tenant');
    const other = source.tenant === JIRA_TENANT ? GITHUB_TENANT : JIRA_TENANT;
    if (source.name !== 'gitlab')
      expect(
        (await expectUnchanged(() => bench.post(`/t/${other}/webhooks/${source.name}`, body, headers), 404))
          .error,
      ).toContain(`no webhook source "${source.name}"`);
  });

  it('of an event the factory does not handle: 202 with the reason, nothing changes', async () => {
    const { body, headers, reason } = source.unhandled();
    const answer = await expectUnchanged(() => bench.post(path, body, headers), 202);
    expect(answer).toEqual({ status: 'ignored', reason });
  });
});
