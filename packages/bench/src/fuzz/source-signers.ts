import { createHmac } from 'node:crypto';
import { linearIssueCreated, pullRequestExample, slackThreadReply } from '../vendor-payloads.ts';
import { FUZZ_SECRET, FUZZ_TENANT } from './fuzz-tenant.ts';

/** How a sender authenticates its deliveries, and a plausible body to start from. */
export interface SourceSigner {
  source: string;
  /** Headers the source reads; the fuzzer fills them with junk as well as with right values. */
  headerNames: readonly string[];
  /** Headers that make `body` authentic at `sentAt` (ms); `secret` defaults to the tenant's. */
  sign(body: Uint8Array, sentAt: number, secret?: string): Record<string, string>;
  /** Whether a stale `sentAt` alone makes the delivery unauthentic (the sender signs a time). */
  signsTime: boolean;
  /** A body the sender could send now. */
  sample(now: number): string;
}

const hex = (secret: string, ...parts: (string | Uint8Array)[]) => {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
};
const seconds = (ms: number) => String(Math.floor(ms / 1000));
const githubEvent = (event: string) => ({
  'x-github-event': event,
  'x-github-delivery': crypto.randomUUID(),
});

export const SIGNERS: readonly SourceSigner[] = [
  {
    source: 'linear',
    headerNames: ['linear-signature', 'linear-delivery', 'linear-event'],
    signsTime: true,
    sign: (body, _sentAt, secret = FUZZ_SECRET) => ({
      'linear-signature': hex(secret, body),
      'linear-delivery': crypto.randomUUID(),
    }),
    sample: (now) => linearIssueCreated(7, { tenant: FUZZ_TENANT, secret: FUZZ_SECRET, now }).body,
  },
  {
    source: 'slack',
    headerNames: ['x-slack-signature', 'x-slack-request-timestamp', 'x-slack-retry-num'],
    signsTime: true,
    sign: (body, sentAt, secret = FUZZ_SECRET) => ({
      'x-slack-request-timestamp': seconds(sentAt),
      'x-slack-signature': `v0=${hex(secret, `v0:${seconds(sentAt)}:`, body)}`,
    }),
    sample: (now) => slackThreadReply(7, { tenant: FUZZ_TENANT, secret: FUZZ_SECRET, now }).body,
  },
  ...(['github', 'github-issues', 'github-actions'] as const).map(
    (source): SourceSigner => ({
      source,
      headerNames: ['x-hub-signature-256', 'x-github-event', 'x-github-delivery'],
      signsTime: false,
      sign: (body, _sentAt, secret = FUZZ_SECRET) => ({
        ...githubEvent(
          source === 'github' ? 'pull_request' : source === 'github-issues' ? 'issues' : 'workflow_run',
        ),
        'x-hub-signature-256': `sha256=${hex(secret, body)}`,
      }),
      sample: () => JSON.stringify(pullRequestExample('opened')),
    }),
  ),
  {
    source: 'gitlab',
    headerNames: ['x-gitlab-token', 'x-gitlab-event', 'x-gitlab-event-uuid', 'idempotency-key'],
    signsTime: false,
    sign: (_body, _sentAt, secret = FUZZ_SECRET) => ({
      'x-gitlab-token': secret,
      'x-gitlab-event': 'Merge Request Hook',
      'x-gitlab-event-uuid': crypto.randomUUID(),
    }),
    sample: () =>
      JSON.stringify({
        object_kind: 'merge_request',
        project: { path_with_namespace: 'acme/app' },
        object_attributes: { iid: 1, action: 'open', state: 'opened', source_branch: 'factory/eng-1' },
      }),
  },
  {
    source: 'jira',
    headerNames: ['x-hub-signature', 'x-atlassian-webhook-identifier'],
    signsTime: false,
    sign: (body, _sentAt, secret = FUZZ_SECRET) => ({
      'x-hub-signature': `sha256=${hex(secret, body)}`,
      'x-atlassian-webhook-identifier': crypto.randomUUID(),
    }),
    sample: (now) =>
      JSON.stringify({
        webhookEvent: 'jira:issue_updated',
        timestamp: now,
        issue: { id: '10001', key: 'ENG-1', fields: { summary: 'Add a flag', labels: ['factory'] } },
      }),
  },
  {
    source: 'relayfile',
    headerNames: ['x-relay-signature', 'x-relay-timestamp', 'x-relay-event-id'],
    signsTime: true,
    sign: (body, sentAt, secret = FUZZ_SECRET) => ({
      'x-relay-timestamp': seconds(sentAt),
      'x-relay-signature': hex(secret, `${seconds(sentAt)}.`, body),
    }),
    sample: () =>
      JSON.stringify({
        eventId: crypto.randomUUID(),
        type: 'file.updated',
        path: '/linear/issues/ENG-1.json',
      }),
  },
  {
    source: 'fleet',
    headerNames: ['x-factory-signature', 'x-factory-timestamp'],
    signsTime: true,
    sign: (body, sentAt, secret = FUZZ_SECRET) => ({
      'x-factory-timestamp': seconds(sentAt),
      'x-factory-signature': `sha256=${hex(secret, `${seconds(sentAt)}.`, body)}`,
    }),
    sample: () =>
      JSON.stringify({ agentId: 'agent-1', status: 'exited', exitCode: 0, eventId: crypto.randomUUID() }),
  },
];
