import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import {
  GithubWebhookSource,
  LinearWebhookSource,
  LinearWorkItemProvider,
} from '@software-factory/providers';
import { hmacSha256Hex, StaticTenantRegistry, type WebhookSource } from '@software-factory/sdk';
import { FactoryHarness, FakeClock, MemoryLogger } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import { createFactoryWorker } from '../src/index.ts';
import pullRequestReady from './fixtures/github/pull_request.ready_for_review.json' with { type: 'json' };
import githubVector from './fixtures/github/signature-vector.docs.json' with { type: 'json' };
import linearIssueCreate from './fixtures/linear/issue.create.korosuke613.json' with { type: 'json' };
import { freshTenant } from './support/worker-scenario.ts';

const LINEAR_SECRET = 'linear-webhook-signing-secret';
const GITHUB_SECRET = githubVector.secret;

/**
 * One tenant whose Linear and GitHub webhooks come in through the direct providers' real sources,
 * which check the vendors' signatures; the tenant's other roles are the core's fakes.
 */
function directTenant() {
  const tenant = freshTenant();
  const clock = new FakeClock();
  const linear = new LinearWebhookSource({
    secret: LINEAR_SECRET,
    // Never called: the deliveries below carry their labels, so no API read is needed.
    provider: new LinearWorkItemProvider({ token: 'unused-token' }),
  });
  const github = new GithubWebhookSource({ secret: GITHUB_SECRET });
  let fakes: FactoryHarness | undefined;
  const worker = createFactoryWorker({
    clock,
    logger: new MemoryLogger(),
    tenants: ({ store }) => {
      fakes = new FactoryHarness({ tenant, store, clock });
      return new StaticTenantRegistry([
        {
          id: tenant,
          factory: fakes.factory,
          sources: new Map<string, WebhookSource>([
            ['linear', linear],
            ['github', github],
          ]),
          connections: async () => [],
        },
      ]);
    },
  });
  async function post(source: string, body: string, headers: Record<string, string>): Promise<Response> {
    const request = new Request(`https://factory.example/t/${tenant}/webhooks/${source}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    const ctx = createExecutionContext();
    const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, env, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }
  return {
    tenant,
    clock,
    post,
    fakes: () => {
      if (!fakes) throw new Error('the Worker has not built its tenants yet');
      return fakes;
    },
  };
}

/** The captured Linear issue as a current delivery: ready, labelled, with the fields today's payloads add. */
function linearIssueDelivery(now: number): string {
  const payload = structuredClone(linearIssueCreate) as typeof linearIssueCreate & Record<string, unknown>;
  Object.assign(payload.data, {
    identifier: 'KOR-11',
    state: { ...payload.data.state, name: 'Todo', type: 'unstarted' },
    labels: [{ id: 'label-1', name: 'factory' }],
    description:
      'The webhook endpoint should accept test deliveries. Done when a signed test delivery is answered with 200.',
  });
  payload.webhookTimestamp = now;
  return JSON.stringify(payload);
}

describe('vendor webhooks through the direct providers, inside the Worker', () => {
  it('a signed Linear issue dispatches; a signed GitHub ready_for_review marks it done', async () => {
    const direct = directTenant();
    const issue = linearIssueDelivery(direct.clock.now());
    const created = await direct.post('linear', issue, {
      'linear-signature': await hmacSha256Hex(LINEAR_SECRET, issue),
      'linear-delivery': crypto.randomUUID(),
      'linear-event': 'Issue',
    });
    expect(created.status).toBe(200);
    const h = direct.fakes();
    const workItemId = linearIssueCreate.data.id;
    expect((await h.record(workItemId))?.status).toBe('dispatched');
    expect(h.fleet.spawnCalls).toBe(1);

    // The captured pull request, opened by the agent on the branch the factory gave it.
    const pull = structuredClone(pullRequestReady);
    const record = await h.record(workItemId);
    pull.pull_request.head.ref = record?.dispatch?.branch ?? '';
    const body = JSON.stringify(pull);
    direct.clock.advance(60_000);
    const ready = await direct.post('github', body, {
      'x-hub-signature-256': `sha256=${await hmacSha256Hex(GITHUB_SECRET, body)}`,
      'x-github-event': 'pull_request',
      'x-github-delivery': crypto.randomUUID(),
    });
    expect(ready.status).toBe(200);
    expect((await h.record(workItemId))?.status).toBe('done');
    expect((await h.record(workItemId))?.output?.id).toBe(`Codertocat/Hello-World#${pull.number}`);
  });

  it("GitHub's published signature vector passes verification; one changed digit is refused", async () => {
    const direct = directTenant();
    const headers = { 'x-github-event': 'pull_request', 'x-github-delivery': crypto.randomUUID() };
    const verified = await direct.post('github', githubVector.payload, {
      ...headers,
      'x-hub-signature-256': githubVector.signature,
    });
    // Past the signature check, the body ("Hello, World!") is not a pull request payload.
    expect(verified.status).toBe(400);
    expect(await verified.json()).toMatchObject({ error: expect.stringContaining('malformed JSON') });

    const tampered = await direct.post('github', githubVector.payload, {
      ...headers,
      'x-hub-signature-256': githubVector.signature.replace(/.$/, '0'),
    });
    expect(tampered.status).toBe(401);
  });

  it('a Linear delivery with a bad signature is refused and changes nothing', async () => {
    const direct = directTenant();
    const issue = linearIssueDelivery(direct.clock.now());
    const refused = await direct.post('linear', issue, {
      'linear-signature': await hmacSha256Hex('not-the-secret', issue),
      'linear-delivery': crypto.randomUUID(),
    });
    expect(refused.status).toBe(401);
    expect(await direct.fakes().record(linearIssueCreate.data.id)).toBeUndefined();
    expect(direct.fakes().fleet.spawnCalls).toBe(0);
  });
});
