import { outputTargetConformance, webhookSourceConformance } from '@software-factory/sdk/testing';
import { GitlabOutputTarget } from '../../src/gitlab/output-target.ts';
import { GitlabWebhookSource } from '../../src/gitlab/webhook-source.ts';
import { noWaiting, removableToken } from '../support/conformance.ts';
import { fixtureJson } from '../support/fixtures.ts';
import { GitlabServer, mergeRequestJson } from '../support/gitlab-server.ts';

const SECRET = 'gitlab-secret-token';
const TOKEN = 'glpat-test-token';

webhookSourceConformance(
  'GitlabWebhookSource',
  async () => ({
    source: new GitlabWebhookSource({ secret: SECRET }),
    deliver({ delivery = 1, secret = SECRET, body }) {
      // Delivery n: go-gitlab's merge request event, as the merge request stood n seconds later.
      const event = fixtureJson<{ object_attributes: Record<string, unknown> }>(
        'gitlab/merge_request.go-gitlab.json',
      );
      const updatedAt = `2026-01-01T11:00:0${delivery % 10}Z`;
      const sent =
        body ??
        JSON.stringify({
          ...event,
          object_attributes: { ...event.object_attributes, updated_at: updatedAt },
        });
      return {
        body: sent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitLab/17.4.0',
          'x-gitlab-event': 'Merge Request Hook',
          'x-gitlab-event-uuid': `b3f1a2c4-0000-4000-8000-${delivery.toString().padStart(12, '0')}`,
          'idempotency-key': `9e4f8b1a-0000-4000-8000-${delivery.toString().padStart(12, '0')}`,
          'x-gitlab-token': secret,
        },
      };
    },
    calls: () => 0,
  }),
  // GitLab sends the shared secret back as is: it signs neither the body nor a time.
  { signsBody: false },
);

outputTargetConformance('GitlabOutputTarget', async () => {
  const server = await new GitlabServer().start();
  server.addMergeRequest('acme/app', mergeRequestJson({ iid: 3 }));
  const token = removableToken(TOKEN);
  return {
    target: new GitlabOutputTarget({
      baseUrl: server.url,
      token: token.source,
      retry: noWaiting,
      feedback: { trustedAuthors: { users: ['alice'] } },
    }),
    output: { id: 'acme/app!3', repository: 'acme/app', branch: 'factory/tes-41' },
    absentId: 'acme/app!99',
    comments: () => (server.notes.get('acme/app!3') ?? []).map((note) => note.body),
    writeComment(at) {
      const notes = server.notes.get('acme/app!3') ?? [];
      const note = {
        id: 900 + notes.length,
        body: '/factory handle the empty list too',
        author: { id: 11, username: 'alice', name: 'Alice' },
        created_at: new Date(at).toISOString(),
        system: false,
        noteable_type: 'MergeRequest',
        noteable_iid: 3,
      };
      server.notes.set('acme/app!3', [...notes, note]);
      return `note:${note.id}`;
    },
    failCheck(at) {
      // The merge request's latest pipeline failed, its test job with it.
      const id = 4100 + (server.pipelines.get('acme/app!3') ?? []).length;
      server.pipelines.set('acme/app!3', [
        ...(server.pipelines.get('acme/app!3') ?? []),
        {
          id,
          status: 'failed',
          ref: 'factory/tes-41',
          web_url: `https://gitlab.com/acme/app/-/pipelines/${id}`,
          updated_at: new Date(at).toISOString(),
        },
      ]);
      server.jobs.set(`acme/app#${id}`, [
        {
          name: 'test',
          stage: 'test',
          status: 'failed',
          failure_reason: 'script_failure',
          allow_failure: false,
        },
      ]);
      return `pipeline:${id}`;
    },
    stopVendor: () => server.stop(),
    credential: { remove: token.remove, revoke: () => server.tokens.clear() },
    close: () => server.stop(),
  };
});
