import type { OutputChangedEvent } from '@software-factory/sdk';
import { DEFAULT_TEST_SETTINGS, FactoryHarness, FakeClock } from '@software-factory/sdk/testing';
import { describe, expect, it } from 'vitest';
import { GithubWebhookSource } from '../src/github/webhook-source.ts';
import { GitlabWebhookSource } from '../src/gitlab/webhook-source.ts';
import { fixtureJson, githubSignature, pullRequestExample, pullRequestExamples } from './support/fixtures.ts';
import { incoming } from './support/webhooks.ts';

// The core orders output events by the update time the source puts on them (`output.updatedAt`):
// these tests read it from the real payloads, then show the order deciding in the core.

const SECRET = 'update-time-secret';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const github = new GithubWebhookSource({ secret: SECRET });
const gitlab = new GitlabWebhookSource({ secret: SECRET });
const HANDLED = new Set([
  'opened',
  'reopened',
  'ready_for_review',
  'converted_to_draft',
  'synchronize',
  'edited',
  'closed',
]);

async function fromGithub(payload: unknown): Promise<OutputChangedEvent> {
  const body = JSON.stringify(payload);
  const result = await github.interpret(
    incoming(
      body,
      {
        'x-github-event': 'pull_request',
        'x-github-delivery': 'delivery-1',
        'x-hub-signature-256': githubSignature(SECRET, body),
      },
      NOW,
    ),
  );
  const [event] = result.events;
  if (event?.type !== 'output.changed') throw new Error(`no output.changed: ${result.ignored}`);
  return event;
}

async function fromGitlab(payload: unknown): Promise<OutputChangedEvent> {
  const result = await gitlab.interpret(
    incoming(
      JSON.stringify(payload),
      { 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Merge Request Hook', 'idempotency-key': 'gl-1' },
      NOW,
    ),
  );
  const [event] = result.events;
  if (event?.type !== 'output.changed') throw new Error(`no output.changed: ${result.ignored}`);
  return event;
}

type MergeRequestPayload = { object_attributes: Record<string, unknown> };

describe('the update time on output.changed', () => {
  it('GitHub: every handled pull_request example carries its pull_request.updated_at', async () => {
    const examples = pullRequestExamples().filter((example) => HANDLED.has(example.action));
    expect(examples.length).toBeGreaterThan(8);
    const times = new Set<string>();
    for (const example of examples) {
      const pull = (example as unknown as { pull_request: { updated_at: string } }).pull_request;
      const event = await fromGithub(example);
      expect(event.output.updatedAt).toBe(pull.updated_at);
      times.add(pull.updated_at);
    }
    // The examples were captured at different moments: opened 15:20:33, closed 15:21:18.
    expect(times.size).toBeGreaterThan(1);
  });

  it('GitLab: object_attributes.updated_at, in ISO-8601 as documented and in the "UTC" form some versions write', async () => {
    const documented = fixtureJson<MergeRequestPayload>('gitlab/merge_request.go-gitlab.json');
    expect(documented.object_attributes.updated_at).toBe('2013-12-03T17:23:34Z');
    expect((await fromGitlab(documented)).output.updatedAt).toBe('2013-12-03T17:23:34.000Z');

    // Derived: the same time as some GitLab versions write it in webhooks.
    const utc = fixtureJson<MergeRequestPayload>('gitlab/merge_request.go-gitlab.json');
    utc.object_attributes.updated_at = '2013-12-03 17:23:34 UTC';
    expect((await fromGitlab(utc)).output.updatedAt).toBe('2013-12-03T17:23:34.000Z');
  });
});

describe('the core orders real payloads by that time', () => {
  it('GitHub: the real `opened` (15:20:33) delivered after the real `closed` (15:21:18) does not revive a new attempt', async () => {
    const h = new FactoryHarness({
      clock: new FakeClock(Date.parse('2019-05-15T15:00:00Z')),
      settings: { ...DEFAULT_TEST_SETTINGS, retry: { maxAttempts: 3, backoff: '1m' } },
    });
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    // Derived: the example pull request moved onto the agent's branch.
    const onBranch = (action: string) => {
      const example = pullRequestExample(action);
      (example.pull_request.head as { ref: string }).ref = h.template.branchName(item);
      return example;
    };
    const opened = await fromGithub(onBranch('opened'));
    const closed = await fromGithub(onBranch('closed'));

    expect((await h.factory.handle(closed)).transitions.map((t) => t.to)).toEqual(['queued']);
    h.clock.advance(61_000);
    expect((await h.factory.handle({ type: 'tick' })).transitions.map((t) => t.to)).toEqual(['dispatched']);

    const late = await h.factory.handle(opened);
    expect(late.outcome).toBe('ignored');
    expect(late.reason).toBe(
      'stale output event: Codertocat/Hello-World#2 ready at 2019-05-15T15:20:33Z is not newer than the closed at 2019-05-15T15:21:18Z already applied',
    );
    expect((await h.factory.handle(closed)).outcome).toBe('ignored');
    expect(await h.status('item-1')).toBe('dispatched');
  });

  it('GitLab: an older merge request event after a newer one is ignored', async () => {
    const h = new FactoryHarness({
      clock: new FakeClock(Date.parse('2013-12-03T17:00:00Z')),
      settings: { ...DEFAULT_TEST_SETTINGS, completion: { on: 'merged' } },
    });
    const item = h.clearItem('item-1');
    await h.factory.handle(h.changed(item));
    const payload = (fields: Record<string, unknown>) => {
      const documented = fixtureJson<MergeRequestPayload>('gitlab/merge_request.go-gitlab.json');
      // Derived: the documented merge request moved onto the agent's branch, with the change in `fields`.
      Object.assign(documented.object_attributes, { source_branch: h.template.branchName(item), ...fields });
      return documented;
    };
    const draft = await fromGitlab(payload({ work_in_progress: true }));
    const ready = await fromGitlab(payload({ action: 'update', updated_at: '2013-12-03 17:30:00 UTC' }));

    expect((await h.factory.handle(ready)).reason).toBe(
      'output is ready: marked for review; waiting for it to be merged',
    );
    const late = await h.factory.handle(draft);
    expect(late.outcome).toBe('ignored');
    expect(late.reason).toMatch(
      /^stale output event: gitlabhq\/gitlab-test!1 draft at 2013-12-03T17:23:34.000Z/,
    );
    expect(h.tracker.states.map((s) => s.state)).toEqual(['dispatched', 'needs-review']);
  });
});
